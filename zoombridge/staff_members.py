"""The staff list: people marked `is_staff`, matched to a Zoom user by email.

Staff sign in with their Zoom account; only a Zoom user of the organisation's account whose
email belongs to a person on this list gets in. Keeping the list in the people table (rather
than in a setting) means the breakout planner and the payment policy see the same staff, and
`zoombridge staff add EMAIL NAME` changes it without a redeploy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zoombridge.notify import addresses
from zoombridge.store.models import Person


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find(session: Session, email: str | None) -> Person | None:
    """The staff member with this email, or None (also for people who are not staff)."""
    if not email or "@" not in email:
        return None
    person = session.scalar(select(Person).where(func.lower(Person.email) == normalise_email(email)))
    if person is None or not person.is_staff:
        return None
    return person


def add(session: Session, email: str, first_name: str, now: datetime) -> Person:
    """Put someone on the staff list, creating the person if they are new. Safe to repeat."""
    email = addresses.normalise_email(email)
    if email is None:
        raise ValueError("a staff member needs a valid email address")
    person = session.scalar(select(Person).where(func.lower(Person.email) == email))
    if person is None:
        person = Person(first_name=first_name.strip() or email.split("@")[0], email=email, created_at=now)
        session.add(person)
    person.is_staff = True
    session.flush()
    return person


def remove(session: Session, email: str) -> bool:
    person = find(session, email)
    if person is None:
        return False
    person.is_staff = False
    return True
