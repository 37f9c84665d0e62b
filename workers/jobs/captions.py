"""Captions before each session: the host's settings at setup and again the day before, and the
captioner's caption link on the morning of the session.

The settings asked for follow the session's caption plan (`zoombridge.sessions.captions`):
automated captions, or the third-party caption API token when a captioner is in the main room.
The caption link is fetched on the morning itself, not the day before: Zoom's example token
carries `expire=86400` (docs/zoom.md §5), so a link fetched a day early may die mid-session. A
session that moves has its morning job moved with it, and a new revision sends a new link.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from workers.jobs.mail import deliver
from workers.jobs.zoom_limits import about_session, waits_for_zoom
from zoombridge import logs, runtime
from zoombridge.notify import messages
from zoombridge.notify.delivery import was_sent
from zoombridge.notify.organisation import load_organisation
from zoombridge.planning.schedule import to_local
from zoombridge.privacy import mask_url
from zoombridge.sessions.captions import (
    CAPTIONER,
    captions_state,
    token_lifetime_seconds,
    wanted_settings,
)
from zoombridge.sessions.hosts import host_of
from zoombridge.sessions.records import caption_plan_for, facts_for, format_for, session_for_step, timeline
from zoombridge.store import db_session
from zoombridge.store.models import Session
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import RateLimited, ZoomError, ZoomUnavailable

log = logging.getLogger(__name__)


@waits_for_zoom("captions:{0}", about_session("checking captions with Zoom"))
def ensure_captions(session_id: int) -> str:
    """PATCH the host's caption settings, GET them back, record the result, tell who needs to know."""
    now = runtime.now()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, before=now)
        if skip:
            return skip
        method = caption_plan_for(s, session).main_method
        third_party = method == CAPTIONER
        host = host_of(session)
    client = current_zoom_client()
    try:
        client.update_user_settings(host, wanted_settings(third_party))
        on, reason = captions_state(client.get_user_settings(host), third_party)
    except (ZoomUnavailable, RateLimited):
        raise  # transient: RQ retries (a daily limit: the job waits for it to reset)
    except ZoomError as exc:
        on, reason = False, f"Zoom answered {exc.status} (code {exc.code}): {exc.message}"
    with db_session() as s:
        session = s.get(Session, session_id)
        session.captions_state = "on" if on else "refused"
        session.captions_checked_at = now
        session.captions_method = method
        facts = facts_for(session, format_for(session))
    logs.event(log, "captions_checked", session=session_id, on=on, third_party=third_party)
    if not on:
        checked_on = to_local(now).date().isoformat()  # one alert a day per session, not one per retry
        deliver([(messages.captions_refused(facts, host, reason, load_organisation(), checked_on), None)])
    return "captions on" if on else f"captions refused: {reason}"


@waits_for_zoom("caption-link:{0}", about_session("fetching the captioner's caption link"))
def send_caption_link(session_id: int) -> str:
    """On the morning of the session: the main room's caption link to the captioner, with until when it works."""
    now = runtime.now()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, needs_meeting=True)
        skip = skip or _no_caption_link_now(s, session, now)
        if skip:
            return skip
        fmt = format_for(session)
        meeting_id = session.zoom_meeting_id
    token_url = current_zoom_client().get_caption_token_url(meeting_id)
    valid_until = now + timedelta(seconds=token_lifetime_seconds(token_url))
    logs.event(log, "caption_token_fetched", session=session_id, url=mask_url(token_url),
               valid_until=valid_until.isoformat())
    with db_session() as s:
        session = s.get(Session, session_id)
        session.caption_link_until = valid_until
        facts = facts_for(session, fmt)
    deliver([(messages.captioner_link(facts, fmt.captioner_email, token_url, valid_until, load_organisation()),
              None)])
    return f"caption link sent, valid until {valid_until.isoformat()}"


def _no_caption_link_now(s, session: Session, now) -> str | None:
    """Why the caption link of a scheduled session with its meeting is not to be sent now, or None when it is."""
    reasons = (
        (now < timeline(session, format_for(session)).caption_link_at, "not due yet"),
        (now >= session.starts_at + timedelta(minutes=session.duration_minutes), "session is over"),
        (not caption_plan_for(s, session).uses_captioner, "no captioner in this session's caption plan"),
        (was_sent(s, messages.captioner_intent(session.id, session.revision)), "caption link already sent"),
    )
    return next((why for applies, why in reasons if applies), None)
