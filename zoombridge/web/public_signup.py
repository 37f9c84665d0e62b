"""What the public registration page needs from the registration service, in one place.

`open_session` says whether a session takes registrations and what the page should ask;
`register` saves a registration or returns the problems by field. The page calls nothing else,
so it follows the service (issue 5's sessions and registrations) rather than keeping rules of
its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from zoombridge.notify.addresses import normalise_email
from zoombridge.planning.formats import load_formats
from zoombridge.store.models import Person, Registration, Session

JOINS_BY = ("video", "phone")


@dataclass(frozen=True)
class OpenSession:
    id: int
    title: str
    kind_name: str
    description: str
    starts_at: datetime
    duration_minutes: int
    asks_about_payment: bool
    links_lead_days: int


def open_session(s: DbSession, session_id: int, now: datetime) -> OpenSession | None:
    """The session if members of the public may still register for it, else None."""
    found = s.get(Session, session_id)
    if found is None or found.status != "scheduled" or found.starts_at <= now:
        return None
    fmt = load_formats().get(found.kind)
    if fmt is None:
        return None
    fmt = fmt.with_overrides(found.overrides or {})
    return OpenSession(found.id, found.title, fmt.name, fmt.description, found.starts_at, found.duration_minutes,
                       fmt.asks_about_payment, fmt.links_lead_days)


def register(s: DbSession, session_id: int, answers, now: datetime) -> dict[str, str]:
    """Save a public registration; {} when saved, else {field: what to fix}.

    Registering twice with one email keeps the first registration and answers as if saved, so
    the page never tells a stranger who else has registered.
    """
    session = open_session(s, session_id, now)
    errors: dict[str, str] = {}
    first_name = answers.first_name
    if not first_name:
        errors["first_name"] = "Enter your first name"
    elif len(first_name) > 64:
        errors["first_name"] = "Your first name must be 64 characters or fewer"
    email = normalise_email(answers.email)
    if not answers.email:
        errors["email"] = "Enter your email address"
    elif email is None:
        errors["email"] = "Enter an email address in the right format, like name@example.com"
    phone = answers.phone
    if phone and (len(phone) > 40 or sum(c.isdigit() for c in phone) < 6
                  or any(not (c.isdigit() or c in " +()-") for c in phone)):
        errors["phone"] = "Enter a phone number, like 07700 900123, or leave it empty"
    if answers.joins_by not in JOINS_BY:
        errors["joins_by"] = "Choose how you will join: by video or by phone"
    if len(answers.access_needs) > 2000:
        errors["access_needs"] = "Please keep this to 2,000 characters or fewer; email us with more"
    if errors or session is None:
        return errors

    person = s.scalar(select(Person).where(func.lower(Person.email) == email))
    if person is None:
        person = Person(first_name=first_name, email=email, phone=phone or None, created_at=now)
        s.add(person)
        s.flush()
    existing = s.scalar(select(Registration).where(Registration.session_id == session_id,
                                                   Registration.person_id == person.id))
    if existing is not None and existing.status == "active":
        return {}
    if existing is None:
        existing = Registration(session_id=session_id, person_id=person.id, created_at=now)
        s.add(existing)
    existing.status = "active"
    existing.cancelled_at = None
    existing.source = "public"
    existing.joins_by = answers.joins_by
    existing.access_needs = answers.access_needs
    existing.wants_payment = bool(answers.wants_payment and session.asks_about_payment and not person.is_staff)
    return {}
