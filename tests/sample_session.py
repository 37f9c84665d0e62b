"""Building a session with people, registrations and attendance segments for ledger tests."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.builders import add_person, add_session, minutes_from, register  # noqa: F401 (re-exported)
from zoombridge.attendance import session_attendance
from zoombridge.store.models import AttendanceSegment, Participant
from zoombridge.store.models import Session as SessionRow

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MEETING_UUID = "aBcD/eFgH+iJkL==1234"


at = minutes_from(START)


def add_held_session(s, kind: str = "co-production", meeting_uuid: str = MEETING_UUID, **fields) -> SessionRow:
    """The sample session: two hours from START, held (started and ended) under MEETING_UUID."""
    return add_session(s, kind=kind, starts_at=START, minutes=120, meeting_uuid=meeting_uuid, held_for=120, **fields)


def join(s, session, person=None, key=None, segments=((0, 120),), place="main", closed_by="left", **fields) -> Participant:
    """A participant and its webhook segments: `segments` are (from, to) minutes; to None = still open."""
    participant = Participant(
        meeting_uuid=session.meeting_uuid, session_id=session.id,
        participant_key=key or (f"registrant:reg-{person.id}" if person else "zoom:guest"),
        display_name=fields.pop("display_name", person.first_name if person else "Guest"),
        email=person.email if person else None, registrant_id=f"reg-{person.id}" if person else None,
        person_id=person.id if person else None, matched_by="registrant" if person else None,
        created_at=START, **fields)
    s.add(participant)
    s.flush()
    for a, b in segments:
        s.add(AttendanceSegment(participant_id=participant.id, meeting_uuid=session.meeting_uuid, place=place,
                                joined_at=at(a), left_at=at(b), source="webhook",
                                closed_by=None if b is None else closed_by))
    s.flush()
    session_attendance.refresh(s, session, START, whole=True)  # as ingest leaves it
    return participant
