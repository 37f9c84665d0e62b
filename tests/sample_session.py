"""Building a session with people, registrations and attendance segments for ledger tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zoombridge.attendance import session_attendance
from zoombridge.store.models import AttendanceSegment, Participant, Person, Registration
from zoombridge.store.models import Session as SessionRow

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MEETING_UUID = "aBcD/eFgH+iJkL==1234"


def at(minutes: float | None) -> datetime | None:
    return None if minutes is None else START + timedelta(minutes=minutes)


def add_session(s, kind="co-production", minutes=120, meeting_uuid=MEETING_UUID, ended_after=120, **extra) -> SessionRow:
    session = SessionRow(kind=kind, title=f"{kind} session", starts_at=START, duration_minutes=minutes,
                         meeting_uuid=meeting_uuid, started_at=START, ended_at=at(ended_after) if ended_after else None,
                         created_at=START, updated_at=START, **extra)
    s.add(session)
    s.flush()
    return session


def add_person(s, name, is_staff=False, email=None) -> Person:
    person = Person(first_name=name, email=email or f"{name.lower()}@example.org", is_staff=is_staff, created_at=START)
    s.add(person)
    s.flush()
    return person


def register(s, session, person, wants_payment=True, confirmed=True, registrant_id=None, **extra) -> Registration:
    registration = Registration(session_id=session.id, person_id=person.id, wants_payment=wants_payment,
                                zoom_registrant_id=registrant_id or f"reg-{person.id}",
                                claim_confirmed_at=START if confirmed else None, created_at=START, **extra)
    s.add(registration)
    s.flush()
    return registration


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
