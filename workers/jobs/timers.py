"""The delayed steps of a session, (re)planned when its meeting exists and whenever it moves."""

from __future__ import annotations

from datetime import datetime

import redis

from zoombridge.planning.formats import SessionFormat
from zoombridge.queue import intents
from zoombridge.sessions.records import timeline
from zoombridge.store.models import Session


def plan_session(conn: redis.Redis, session: Session, fmt: SessionFormat, now: datetime) -> None:
    """Links at start - lead time, the morning reminder and host pack, captions again the day
    before, and on the morning the captioner's caption link (when the format books one: the job
    itself checks the caption plan, which staff may change until then)."""
    if session.status != "scheduled" or session.starts_at <= now:
        return
    when = timeline(session, fmt)
    intents.send_links(conn, session.id, at=when.links_at, now=now)
    intents.remind(conn, session.id, at=when.reminder_at, now=now)
    if when.captions_recheck_at > now:
        intents.ensure_captions(conn, session.id, at=when.captions_recheck_at, now=now)
    if fmt.captioner_email is not None:
        intents.send_caption_link(conn, session.id, at=when.caption_link_at, now=now)
