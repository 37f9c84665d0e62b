"""Sessions, people and registrations for attendance tests."""

from __future__ import annotations

from datetime import datetime

from zoombridge.store.models import Person, Registration, Session

CREATED = datetime.fromisoformat("2026-11-01T09:00:00+00:00")


def add_session(s, starts_at: datetime, zoom_meeting_id: int | None, title: str = "Co-Pro Cuppa", **fields) -> Session:
    session = Session(kind="cuppa", title=title, starts_at=starts_at, duration_minutes=90,
                      zoom_meeting_id=zoom_meeting_id, created_at=CREATED, updated_at=CREATED, **fields)
    s.add(session)
    s.flush()
    return session


def add_person(s, first_name: str, email: str | None = None, phone: str | None = None) -> Person:
    person = Person(first_name=first_name, email=email, phone=phone, created_at=CREATED)
    s.add(person)
    s.flush()
    return person


def register(s, session: Session, person: Person, zoom_registrant_id: str | None = None) -> Registration:
    registration = Registration(session_id=session.id, person_id=person.id, zoom_registrant_id=zoom_registrant_id,
                                created_at=CREATED)
    s.add(registration)
    s.flush()
    return registration
