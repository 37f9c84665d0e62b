"""The small things many tests build, written once: moments, sessions, people, registrations,
a free port, the environment of a zoombridge process the suite starts, the plain text of an email.

Dates here are fixed on purpose: the app's clock in tests is a `ManualClock` (conftest) and
every "now" the service uses comes from it, so a fixed date never turns into "the past" as
the real calendar moves on.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from zoombridge.people import details
from zoombridge.store.models import Person, Registration, Session

CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # when test rows say they were made
_FROM_NAME = object()  # the default that derives a value from the name or id


def utc(*args: int) -> datetime:
    """`utc(2026, 12, 8, 10)`: a UTC moment."""
    return datetime(*args, tzinfo=UTC)


def minutes_from(start: datetime) -> Callable[[float | None], datetime | None]:
    """`at = minutes_from(T0)`: `at(90)` is 90 minutes after T0, `at(None)` is None (still open)."""

    def at(minutes: float | None) -> datetime | None:
        return None if minutes is None else start + timedelta(minutes=minutes)

    return at


def add_session(s, *, kind: str = "co-production", starts_at: datetime = CREATED, minutes: int = 120,
                title: str | None = None, zoom_meeting_id: int | None = None, meeting_uuid: str | None = None,
                held_for: float | None = None, **fields) -> Session:
    """A session row; `held_for` (minutes) marks it started at `starts_at` and ended that long after."""
    if held_for is not None:
        fields.setdefault("started_at", starts_at)
        fields.setdefault("ended_at", starts_at + timedelta(minutes=held_for))
    session = Session(kind=kind, title=title or f"{kind} session", starts_at=starts_at, duration_minutes=minutes,
                      zoom_meeting_id=zoom_meeting_id, meeting_uuid=meeting_uuid, created_at=CREATED,
                      updated_at=CREATED, **fields)
    s.add(session)
    s.flush()
    return session


def add_person(s, first_name: str, email=_FROM_NAME, phone: str | None = None, is_staff: bool = False) -> Person:
    """A person; their email is `<first name>@example.org` unless given (None: no email)."""
    if email is _FROM_NAME:
        email = f"{first_name.lower()}@example.org"
    return details.add_person(s, first_name=first_name, email=email, phone=phone, is_staff=is_staff, now=CREATED)


def register(s, session: Session, person: Person, registrant_id=_FROM_NAME, *, wants_payment: bool = True,
             confirmed: bool = True, **fields) -> Registration:
    """A registration; its Zoom registrant id is `reg-<person id>` unless given (None: not on Zoom yet).

    `confirmed` says the person confirmed their payment claim (co-production sessions pay on it).
    """
    if registrant_id is _FROM_NAME:
        registrant_id = f"reg-{person.id}"
    registration = Registration(session_id=session.id, person_id=person.id, zoom_registrant_id=registrant_id,
                                wants_payment=wants_payment, claim_confirmed_at=CREATED if confirmed else None,
                                created_at=CREATED, **fields)
    s.add(registration)
    s.flush()
    return registration


def free_port() -> int:
    """A loopback port nobody is listening on (for servers that cannot bind port 0 themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def zoombridge_process_env(**settings: str) -> dict[str, str]:
    """The environment for a zoombridge process the suite starts (gunicorn, a worker, `zoombridge
    dev`): this one without any setting that could point it elsewhere, plus `settings`.

    Under `faketime -f '@<date>'` the process inherits libfaketime and runs at the fake date too,
    on the suite's fake clock rather than its own: by default libfaketime starts every new
    process at the start-at date again, so a worker started minutes into the suite lived minutes
    behind the test that started it (RQ's registry of running jobs, kept by the worker's clock and
    read by the test's, then looked already expired). `FAKETIME_DONT_RESET=1` makes it carry on
    the suite's clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOMBRIDGE_", "ZOOM_")) and k != "REDIS_URL"}
    if "faketime" in env.get("LD_PRELOAD", ""):
        env["FAKETIME_DONT_RESET"] = "1"
    env.update(settings)
    return env


def text_of(message) -> str:
    """The plain-text part of an email, with LF line endings."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
