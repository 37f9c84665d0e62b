"""Making sure live captions are on before each session: at setup and again the day before."""

from __future__ import annotations

import logging
from datetime import timedelta

from workers.jobs.mail import deliver
from workers.jobs.meetings import host_user
from zoombridge import logs, runtime
from zoombridge.notify import messages
from zoombridge.notify.organisation import load_organisation
from zoombridge.planning.schedule import to_local
from zoombridge.privacy import mask_url
from zoombridge.sessions.captions import captions_state, wanted_settings
from zoombridge.sessions.meeting_state import has_meeting
from zoombridge.sessions.records import facts_for, format_for, session_for_step
from zoombridge.store import db_session
from zoombridge.store.models import Session
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import RateLimited, ZoomError, ZoomUnavailable

log = logging.getLogger(__name__)
# The caption token URL expires, so it is fetched for the coming session only (the day-before run).
CAPTIONER_WINDOW = timedelta(hours=36)


def ensure_captions(session_id: int) -> str:
    """PATCH the host's caption settings, GET them back, record the result, tell who needs to know."""
    now = runtime.now()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, before=now)
        if skip:
            return skip
        fmt = format_for(session)
        third_party = fmt.captioner_email is not None
        meeting_id = session.zoom_meeting_id if has_meeting(session) else None
    client = current_zoom_client()
    host = host_user()
    try:
        client.update_user_settings(host, wanted_settings(third_party))
        on, reason = captions_state(client.get_user_settings(host), third_party)
    except (ZoomUnavailable, RateLimited):
        raise  # transient: RQ retries
    except ZoomError as exc:
        on, reason = False, f"Zoom answered {exc.status} (code {exc.code}): {exc.message}"
    with db_session() as s:
        session = s.get(Session, session_id)
        session.captions_state = "on" if on else "refused"
        session.captions_checked_at = now
        facts = facts_for(session, fmt)
        near = session.starts_at - now <= CAPTIONER_WINDOW
    logs.event(log, "captions_checked", session=session_id, on=on, third_party=third_party)
    org = load_organisation()
    batch = []
    if not on:
        checked_on = to_local(now).date().isoformat()  # one alert a day per session, not one per retry
        batch.append((messages.captions_refused(facts, host, reason, org, checked_on), None))
    elif third_party and meeting_id is not None and near:
        token_url = client.get_caption_token_url(meeting_id)
        logs.event(log, "caption_token_fetched", session=session_id, url=mask_url(token_url))
        batch.append((messages.captioner_link(facts, fmt.captioner_email, token_url, org), None))
    deliver(batch)
    return "captions on" if on else f"captions refused: {reason}"
