"""Jobs put off until one of Zoom's daily limits resets: what is waiting, and until when.

The session page lists these, so staff see that a meeting, a registration or a caption check is
waiting on Zoom (and why) rather than wondering whether it failed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import ZoomWait


def record(s: DbSession, *, intent: str, session_id: int | None, what: str, limit: str, until: datetime,
           now: datetime) -> None:
    """Note (or move) the wait for this intent; one row per intent, whoever writes it first."""
    row = s.scalar(select(ZoomWait).where(ZoomWait.intent == intent))
    if row is None:
        try:
            with s.begin_nested():
                s.add(ZoomWait(intent=intent, session_id=session_id, what=what[:200], limit=limit[:200],
                               until=until, created_at=now))
            return
        except IntegrityError:  # another job wrote it a moment ago
            row = s.scalar(select(ZoomWait).where(ZoomWait.intent == intent))
    row.session_id, row.what, row.limit, row.until = session_id, what[:200], limit[:200], until


def clear(s: DbSession, intent: str) -> None:
    s.execute(delete(ZoomWait).where(ZoomWait.intent == intent))


def for_session(s: DbSession, session_id: int) -> list[ZoomWait]:
    return list(s.scalars(select(ZoomWait).where(ZoomWait.session_id == session_id).order_by(ZoomWait.until,
                                                                                             ZoomWait.id)))
