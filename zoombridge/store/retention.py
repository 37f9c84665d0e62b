"""Retention: raw copies are dropped once nothing can need them (README, "Privacy").

What Zoom sent us about who joined a meeting — the webhook bodies, and the names, emails, phone
numbers and Zoom ids copied from them and from Zoom's participant report into `participants` —
is needed only until the session's attendance is final: until then a late webhook, Zoom's
report or a hand match may still change who attended for how long. Attendance is final at most
about 48 hours after the scheduled end, even when Zoom never says the meeting ended
(`zoombridge.attendance.finality`), so no session keeps its copies indefinitely. `raw_copy_retention_days`
(default 90) after that, the job (`workers/jobs/retention.py`) empties the bodies and the
copied identity; what attendance and payment rest on stays (who it was, as a person id; the
times; the decisions). A body no session claims is dropped the same number of days after it
arrived; a body still waiting to be ingested is never dropped.

New details typed on the public page for a known email (`person_changes`, waiting for the person
to confirm them through an emailed link) that were never confirmed are emptied the same number of
days after the link expired: what a stranger or the person typed and never confirmed is no one's
details. The request itself stays, marked `expired`, as the record that a change was asked.
Confirmed requests keep what was confirmed: it is the record of a change made to a person.

Rendered email bodies exist only in the development outbox (`var/outbox/`): the database keeps
an email's intent, address, subject and state, not its text, and an SMTP relay keeps its own
copies under its own policy. Outbox files older than `email_body_retention_days` are deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session as DbSession

from zoombridge.store import audit_log
from zoombridge.store.inbox import PENDING
from zoombridge.store.models import AttendanceEvent, AttendanceStream, InboxEvent, Participant, PersonChange
from zoombridge.store.models import Session as SessionRow

ACTOR = "retention job"


@dataclass(frozen=True)
class Dropped:
    sessions: int = 0
    webhook_bodies: int = 0
    participants: int = 0
    unclaimed_webhook_bodies: int = 0
    unconfirmed_details: int = 0


def _drop_bodies(s: DbSession, now: datetime, *where) -> int:
    return s.execute(update(InboxEvent).where(InboxEvent.body_dropped_at.is_(None), InboxEvent.status != PENDING,
                                              *where)
                     .values(body="", body_dropped_at=now).execution_options(synchronize_session=False)).rowcount


def drop_session_copies(s: DbSession, session: SessionRow, now: datetime, keep_days: int) -> tuple[int, int]:
    """Empty one final session's webhook bodies and its participants' copied identity."""
    belongs = [Participant.session_id == session.id]
    if session.meeting_uuid:
        belongs.append(Participant.meeting_uuid == session.meeting_uuid)
    participants = list(s.scalars(select(Participant).where(or_(*belongs))))
    meetings = {p.meeting_uuid for p in participants} | ({session.meeting_uuid} if session.meeting_uuid else set())
    bodies = _drop_bodies(s, now, InboxEvent.meeting_uuid.in_(meetings)) if meetings else 0
    if meetings:  # ingest's parsed copies of the bodies: who Zoom said each connection and event was
        for model in (AttendanceStream, AttendanceEvent):
            s.execute(update(model).where(model.meeting_uuid.in_(meetings))
                      .values(name="", email=None, phone_number=None, registrant_id=None, zoom_user_id=None)
                      .execution_options(synchronize_session=False))
    for participant in participants:
        participant.display_name, participant.email, participant.phone = "", None, None
        participant.registrant_id, participant.zoom_user_id = None, None
        participant.participant_key = f"dropped:{participant.id}"
    session.raw_copies_dropped_at = now
    audit_log.record(s, now, ACTOR, "retention.raw_copies_dropped", "session", session.id, webhook_bodies=bodies,
                     participants=len(participants), days_after_final=keep_days)
    return bodies, len(participants)


def drop_raw_copies(s: DbSession, now: datetime, keep_days: int) -> Dropped:
    """Everything whose time has come; cheap when nothing has (one query each)."""
    cutoff = now - timedelta(days=keep_days)
    due = list(s.scalars(select(SessionRow).where(SessionRow.attendance_final_at <= cutoff,
                                                  SessionRow.raw_copies_dropped_at.is_(None))
                         .order_by(SessionRow.id)))
    bodies = participants = 0
    for session in due:
        dropped_bodies, dropped_participants = drop_session_copies(s, session, now, keep_days)
        bodies += dropped_bodies
        participants += dropped_participants
    claimed = select(SessionRow.meeting_uuid).where(SessionRow.meeting_uuid.is_not(None))
    joined = select(Participant.meeting_uuid).where(Participant.session_id.is_not(None))
    unclaimed = _drop_bodies(s, now, InboxEvent.received_at <= cutoff,
                             or_(InboxEvent.meeting_uuid.is_(None),
                                 InboxEvent.meeting_uuid.not_in(claimed.union(joined))))
    if unclaimed:
        audit_log.record(s, now, ACTOR, "retention.unclaimed_webhook_bodies_dropped", "webhook_inbox", "-",
                         webhook_bodies=unclaimed, days_after_arrival=keep_days)
    unconfirmed = drop_unconfirmed_details(s, cutoff)
    if unconfirmed:
        audit_log.record(s, now, ACTOR, "retention.unconfirmed_details_dropped", "person_change", "-",
                         requests=unconfirmed, days_after_expiry=keep_days)
    return Dropped(len(due), bodies, participants, unclaimed, unconfirmed)


def drop_unconfirmed_details(s: DbSession, cutoff: datetime) -> int:
    """Empty what was typed in requests never confirmed whose link expired by `cutoff`. The nonce
    stays, so the old link still says it expired (rather than that it was used)."""
    return s.execute(update(PersonChange).where(PersonChange.decided_at.is_(None), PersonChange.outcome.is_(None),
                                                PersonChange.expires_at <= cutoff)
                     .values(wanted={}, outcome="expired").execution_options(synchronize_session=False)).rowcount
