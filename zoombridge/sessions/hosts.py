"""Who hosts a session's Zoom meeting.

Sessions may be hosted by different Zoom users (`Session.host`), each with Zoom's own daily
budget of 100 meeting creates and updates (docs/zoom.md §2); a session without one is hosted by
`ZOOM_HOST_USER`. Server-to-Server apps must name the user (an email or user id), never `me`.
"""

from __future__ import annotations

from zoombridge import runtime
from zoombridge.store.models import Session

STANDIN_HOST = "host@example.org"


def default_host() -> str:
    settings = runtime.settings()
    if settings.zoom_host_user:
        return settings.zoom_host_user
    if settings.uses_zoom_standin:
        return STANDIN_HOST
    raise RuntimeError("ZOOM_HOST_USER is not set")


def host_of(session: Session) -> str:
    return session.host or default_host()
