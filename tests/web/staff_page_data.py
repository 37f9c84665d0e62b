"""A co-production session that has happened: two registrations, attendance, one unknown guest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zoombridge.attendance import session_attendance
from zoombridge.people import details
from zoombridge.store.models import (
    AttendanceSegment,
    EmailMessage,
    Participant,
    Registration,
    Session,
)

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def held_session(db, now, *, ended: bool = True) -> dict:
    """Ada attended all of it (confirmed her claim), Bo half, 'Guest 1' is not matched to anyone."""
    with db() as s:
        session = Session(kind="co-production", title="Shaping our website", starts_at=START, duration_minutes=120,
                          created_at=now, updated_at=now, zoom_meeting_id=85746065432, zoom_meeting_state="created",
                          captions_state="on", meeting_uuid="uuid-1", started_at=START,
                          ended_at=START + timedelta(minutes=120) if ended else None)
        ada = details.add_person(s, first_name="Ada", email="ada@example.org", now=now)
        bo = details.add_person(s, first_name="Bo", email="bo@example.org", phone="+447700900123", now=now)
        s.add(session)
        s.flush()
        s.add_all([
            Registration(session_id=session.id, person_id=ada.id, joins_by="video", access_needs="Quiet room",
                         wants_payment=True, created_at=now, link_sent_at=now, claim_confirmed_at=now),
            Registration(session_id=session.id, person_id=bo.id, joins_by="phone", wants_payment=True,
                         created_at=now, participant_pin_code="123456"),
            EmailMessage(intent=f"links:{session.id}:ada", session_id=session.id, to_address="ada@example.org",
                         subject="Your link for Shaping our website", status="sent", created_at=now, sent_at=now),
        ])
        people = {}
        for key, name, person, minutes in [("registrant:a", "Ada", ada, 120), ("phone:bo", "Bo", bo, 60),
                                           ("participant:g1", "Guest 1", None, 90)]:
            participant = Participant(meeting_uuid="uuid-1", session_id=session.id, participant_key=key,
                                      display_name=name, person_id=person.id if person else None,
                                      matched_by="registrant" if person else None, created_at=now)
            s.add(participant)
            s.flush()
            left = START + timedelta(minutes=minutes) if ended else None
            s.add(AttendanceSegment(participant_id=participant.id, meeting_uuid="uuid-1", place="main",
                                    joined_at=START, left_at=left, closed_by="left" if ended else None))
            people[name] = participant.id
        s.flush()
        session_attendance.refresh(s, session, now, whole=True)  # as ingest leaves it
        return {"session_id": session.id, "ada": ada.id, "bo": bo.id, "guest_participant": people["Guest 1"]}
