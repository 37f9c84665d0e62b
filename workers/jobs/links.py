"""Emails to the people registered: links, the morning reminder, new times, cancellations,
and the host pack to staff.

Each email goes through `workers.jobs.mail.deliver` (sent once per intent), so these jobs can
run any number of times.
"""

from __future__ import annotations

from collections.abc import Callable

from workers.jobs.mail import deliver, email_domain
from zoombridge import runtime
from zoombridge.notify import messages
from zoombridge.notify.organisation import load_organisation
from zoombridge.queue import intents
from zoombridge.queue.connection import current_redis
from zoombridge.sessions.records import (
    active_registrations,
    attendee_for,
    breakout_room_names,
    facts_for,
    format_for,
    session_for_step,
    timeline,
)
from zoombridge.store import db_session
from zoombridge.store.models import Registration


def _mark(registration_id: int, column: str) -> Callable[[], None]:
    def mark() -> None:
        with db_session() as s:
            registration = s.get(Registration, registration_id)
            if getattr(registration, column) is None:
                setattr(registration, column, runtime.now())
    return mark


def _link_batch(session_id: int, only: int | None = None) -> tuple[list, str]:
    """Link emails for the session's registrations that have a personal link and have not had it."""
    now = runtime.now()
    conn = current_redis()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, before=now, needs_meeting=True)
        if skip:
            return [], skip
        fmt = format_for(session)
        if now < timeline(session, fmt).links_at:
            return [], "not due yet"
        facts = facts_for(session, fmt)
        registrations = [r for r in active_registrations(s, session_id) if only is None or r.id == only]
        waiting = [r.id for r in registrations if not r.join_url]
        ready = [attendee_for(r) for r in registrations if r.join_url and r.link_sent_at is None]
    for registration_id in waiting:
        intents.register(conn, registration_id)  # it sends the link itself once Zoom has made it
    org, domain = load_organisation(), email_domain()
    return [(messages.personal_link(facts, person, org, domain, now), _mark(person.registration_id, "link_sent_at"))
            for person in ready], "ok"


def send_links(session_id: int) -> str:
    """`send-links:{session}` at start - lead time: everyone's personal link, once."""
    batch, why = _link_batch(session_id)
    return f"{why}: {deliver(batch)}"


def send_link(registration_id: int) -> str:
    """One person's link, for a registration made after the links went out."""
    with db_session() as s:
        registration = s.get(Registration, registration_id)
        if registration is None:
            return "no such registration"
        session_id = registration.session_id
    batch, why = _link_batch(session_id, only=registration_id)
    return f"{why}: {deliver(batch)}"


def remind(session_id: int) -> str:
    """On the morning: a reminder to everyone who has their link, and the host pack to staff."""
    now = runtime.now()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, before=now, needs_meeting=True)
        if skip:
            return skip
        fmt = format_for(session)
        when = timeline(session, fmt)
        if now < when.reminder_at:
            return "not due yet"
        facts = facts_for(session, fmt, breakout_room_names(s, session_id))  # captions room by room
        registrations = active_registrations(s, session_id)
        people = [attendee_for(r) for r in registrations]
        has_link = {r.id for r in registrations if r.link_sent_at is not None and r.join_url}
    org = load_organisation()
    batch = []
    if when.reminds_people:
        batch = [(messages.reminder(facts, person, org), _mark(person.registration_id, "reminder_sent_at"))
                 for person in people if person.registration_id in has_link]
    batch.append((messages.host_pack(facts, people, org), None))
    return str(deliver(batch))


def send_new_times(session_id: int) -> str:
    """After a reschedule reached Zoom: the new time to everyone who already has their link."""
    now = runtime.now()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, before=now)
        if skip:
            return skip
        facts = facts_for(session, format_for(session))
        people = [attendee_for(r) for r in active_registrations(s, session_id) if r.link_sent_at is not None]
    org, domain = load_organisation(), email_domain()
    return str(deliver((messages.new_time(facts, person, org, domain, now), None) for person in people))


def send_cancellations(session_id: int) -> str:
    """The session is off: tell everyone registered, with a calendar cancellation."""
    now = runtime.now()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, status="cancelled")
        if skip:
            return skip
        facts = facts_for(session, format_for(session))
        people = [attendee_for(r) for r in active_registrations(s, session_id)]
    org, domain = load_organisation(), email_domain()
    return str(deliver((messages.cancellation(facts, person, org, domain, now), None) for person in people))
