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

from zoombridge import staff_tokens
from zoombridge.notify import addresses
from zoombridge.people import details
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


def add(session: Session, email: str, first_name: str, now: datetime, actor: str = "command line") -> Person:
    """Put someone on the staff list, creating the person if they are new. Safe to repeat.

    A person already known keeps their name: this changes their access, nothing else."""
    email = addresses.normalise_email(email)
    if email is None:
        raise ValueError("a staff member needs a valid email address")
    person = session.scalar(select(Person).where(func.lower(Person.email) == email))
    if person is None:
        person = details.add_person(session, first_name=first_name.strip() or email.split("@")[0], email=email,
                                    now=now)
    if not person.is_staff:
        details.change(session, person, {"is_staff": True}, details.by_staff(actor), now, action="staff.added")
    return person


def remove(session: Session, email: str, now: datetime, actor: str = "command line") -> Person | None:
    """Take someone off the staff list. Their access ends at once: every staff page checks the
    list on each request (not only at sign-in), and tokens made for them are revoked."""
    person = find(session, email)
    if person is None:
        return None
    revoked = staff_tokens.revoke_for_person(session, person.id, now, actor)
    details.change(session, person, {"is_staff": False}, details.by_staff(actor), now, action="staff.removed",
                   tokens_revoked=revoked)
    return person
