"""The sessions and registrations service: the one place their rules live.

The staff JSON API, the staff pages, the public registration page and the jobs all come here
(through `zoombridge.unit_of_work.carry_out`), so a rule is written once: what a session's
fields may be, when a change bumps the revision people are told about, when a session is open,
how full it may get, what is audited.

Each function takes the open unit of work, a command and the actor (who is acting, as the audit
log records them), and returns `Done(result, intents)`: the result as the staff API shows it,
and the jobs to enqueue once the change is committed (Zoom and email happen there, never inside
a request). A refusal is `Refused(field, message, kind)`, raised before anything is committed.

Series registration: a person registers for one session (one occurrence) of a series; the
series' Zoom meeting is created with "register once and choose occurrences" and each
registrant is added for that session's occurrence only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session as DbSession

from zoombridge import runtime
from zoombridge.payments import decisions as payment_decisions
from zoombridge.people import details
from zoombridge.planning.formats import WEEKDAYS, SessionFormat, load_formats
from zoombridge.planning.schedule import (
    ScheduleError,
    monthly_first_weekday_starts,
    parse_local,
    to_local,
    to_utc,
)
from zoombridge.queue import intents
from zoombridge.queue.intents import Intent
from zoombridge.refusals import Refused, conflict, invalid, not_found
from zoombridge.sessions import records
from zoombridge.sessions.registration_form import RegistrationForm, parse_csv, parse_registration, plain_text
from zoombridge.store import audit_log
from zoombridge.store.models import Registration, Session
from zoombridge.unit_of_work import Done

RESCHEDULE_FIELDS = ("title", "start", "overrides")
SOURCES = ("staff", "import", "public")


# --- commands: what a caller asks for, as it was given (the service checks every value) -----

@dataclass(frozen=True)
class NewSession:
    kind: object
    start: object  # `2027-01-05T10:30`, London time, or with an explicit offset
    title: object = None  # default: the format's name
    overrides: object = None  # per-session changes to the format (`{"max_people": 12}`)
    host: object = None  # the Zoom user who hosts the meeting (email or user id); default ZOOM_HOST_USER


@dataclass(frozen=True)
class NewSeries(NewSession):
    repeat: object = None  # {"first": "tuesday", "count": 6}: the first <weekday> of each month


@dataclass(frozen=True)
class Reschedule:
    session_id: int
    changes: Mapping[str, object] = field(default_factory=dict)  # any of RESCHEDULE_FIELDS


@dataclass(frozen=True)
class ChooseBreakoutCaptions:
    session_id: int
    choice: object  # "automated" | "none": the session's `breakout_captions` override


@dataclass(frozen=True)
class CancelSession:
    session_id: int


@dataclass(frozen=True)
class NewRegistration:
    session_id: int
    answers: object  # the registration fields (`registration_form.FIELDS`) as given
    source: str = "staff"  # staff | public


@dataclass(frozen=True)
class ImportRegistrations:
    session_id: int
    csv: bytes  # UTF-8 CSV: a header line naming the columns, then one registration a line


@dataclass(frozen=True)
class CancelRegistration:
    session_id: int
    registration_id: int


# --- checks ----------------------------------------------------------------------------------

def _format(kind: object, overrides: object) -> SessionFormat:
    formats = load_formats()
    fmt = formats.get(kind) if isinstance(kind, str) else None
    if fmt is None:
        raise invalid("kind", f"must be one of: {', '.join(formats.kinds)}")
    return fmt.with_overrides({} if overrides is None else overrides)


def _title(value: object, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 200:
        raise invalid("title", "must be text of 1 to 200 characters")
    return " ".join(plain_text(value, "title").split())


def _start(value: object, now: datetime) -> datetime:
    """`2027-01-05T10:30` is London time; an explicit offset is honoured."""
    if not isinstance(value, str):
        raise invalid("start", "is required: a date and time like 2027-01-05T10:30 (Europe/London)")
    try:
        starts_at = to_utc(parse_local(value))
    except ScheduleError as exc:
        raise invalid("start", str(exc)) from None
    if starts_at <= now:
        raise invalid("start", "must be in the future")
    return starts_at


def _host(value: object) -> str | None:
    """The Zoom user who hosts the meeting (email or Zoom user id); None: ZOOM_HOST_USER."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 254 or " " in value.strip():
        raise invalid("host", "must be the email address or user id of a Zoom user in the account")
    if value.strip().lower() == "me":
        raise invalid("host", "must name the Zoom user: Server-to-Server apps cannot use 'me'")
    return value.strip().lower() if "@" in value else value.strip()


def _repeat(repeat: object, default_weekday: str | None) -> tuple[str, int]:
    if not isinstance(repeat, Mapping):
        raise invalid("repeat", 'must be an object like {"first": "tuesday", "count": 6}')
    for key in repeat:
        if key not in ("first", "count"):
            raise invalid(f"repeat.{key}", "is not a field here (fields: first, count)")
    weekday = repeat.get("first")
    if weekday is None:  # left out or null: the format's day; anything else must name a day
        weekday = default_weekday
    if not isinstance(weekday, str) or weekday not in WEEKDAYS:
        raise invalid("repeat.first", f"must be a day of the week: {', '.join(WEEKDAYS)}")
    count = repeat.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= 50:
        raise invalid("repeat.count", "must be a whole number from 2 to 50")
    return weekday, count


def session_or_refuse(s: DbSession, session_id: int) -> Session:
    session = s.get(Session, session_id)
    if session is None:
        raise not_found(f"There is no session {session_id}.")
    return session


def _not_open() -> Refused:
    return conflict("not_open", "This session is cancelled or has already started.")


# --- sessions --------------------------------------------------------------------------------

def create_session(s: DbSession, command: NewSession, actor: str) -> Done[dict]:
    """One session; its Zoom meeting is created by a job once this is committed."""
    now = runtime.now()
    fmt = _format(command.kind, command.overrides)
    title = _title(command.title, fmt.name)
    starts_at = _start(command.start, now)
    host = _host(command.host)
    session = records.new_session(s, kind=command.kind, title=title, starts_at=starts_at, fmt=fmt,
                                  overrides=command.overrides or {}, now=now, host=host)
    s.flush()
    audit_log.record(s, now, actor, "session.created", "session", session.id, kind=command.kind,
                     start=starts_at.isoformat())
    return Done(records.session_json(session, 0), (Intent(intents.create_meeting, (session.id,)),))


def create_series(s: DbSession, command: NewSeries, actor: str) -> Done[dict]:
    """A monthly series (the first <weekday> of each month): one Zoom recurring meeting for all of it."""
    now = runtime.now()
    fmt = _format(command.kind, command.overrides)
    title = _title(command.title, fmt.name)
    starts_at = _start(command.start, now)
    host = _host(command.host)
    weekday, count = _repeat(command.repeat, fmt.default_weekday)
    try:
        starts = monthly_first_weekday_starts(to_local(starts_at).replace(tzinfo=None), weekday, count)
    except ScheduleError as exc:
        raise invalid("start", str(exc)) from None
    series, sessions = records.new_series(s, kind=command.kind, title=title, starts=starts, weekday=weekday,
                                          fmt=fmt, overrides=command.overrides or {}, now=now, host=host)
    s.flush()
    audit_log.record(s, now, actor, "series.created", "series", series.id, kind=command.kind, first=weekday,
                     count=count)
    result = {"series": {"id": series.id, "kind": command.kind, "title": title, "rule": series.rule},
              "sessions": [records.session_json(x, 0) for x in sessions]}
    return Done(result, (Intent(intents.create_meeting, (sessions[0].id,)),))


def reschedule(s: DbSession, command: Reschedule, actor: str) -> Done[dict]:
    """New title, start or overrides. A new start or length bumps the session's revision, which is
    what tells people a new time; the Zoom meeting is updated by a job."""
    now = runtime.now()
    session = session_or_refuse(s, command.session_id)
    if not records.is_open(session, now):
        raise _not_open()
    body = command.changes
    changes: dict = {}
    if "title" in body:
        title = _title(body["title"], session.title)
        if title != session.title:
            changes["title"] = title
            session.title = title
    if "overrides" in body:
        overrides = {} if body["overrides"] is None else body["overrides"]
        fmt = load_formats().get(session.kind).with_overrides(overrides)  # null clears; false is refused
        session.overrides = overrides
        changes["overrides"] = session.overrides
        if fmt.duration_minutes != session.duration_minutes:
            session.duration_minutes = fmt.duration_minutes
            session.revision += 1
    if "start" in body:
        starts_at = _start(body["start"], now)
        if starts_at != session.starts_at:
            changes["start"] = {"from": session.starts_at.isoformat(), "to": starts_at.isoformat()}
            session.starts_at = starts_at
            session.revision += 1
            session.caption_link_until = None  # a new link is fetched on the new morning
    result = records.session_json(session, records.active_count(s, session))
    if not changes:
        return Done(result)
    session.updated_at = now
    audit_log.record(s, now, actor, "session.updated", "session", session.id, **changes)
    change_key = f"{session.revision}-{int(now.timestamp() * 1000)}"  # a later edit is a new intent
    asked = [Intent(intents.update_meeting, (session.id, change_key))]
    if "overrides" in changes:  # the caption plan may have changed (captioner, breakout rooms' captions)
        asked.append(Intent(intents.ensure_captions, (session.id,)))
    return Done(result, tuple(asked))


def choose_breakout_captions(s: DbSession, command: ChooseBreakoutCaptions, actor: str) -> Done[dict]:
    """Staff's choice for a session with a captioner and breakout rooms, kept in its overrides
    next to the others (a change of overrides, so it is audited and the captions checked again)."""
    session = session_or_refuse(s, command.session_id)
    overrides = {**(session.overrides or {}), "breakout_captions": command.choice}
    return reschedule(s, Reschedule(session.id, {"overrides": overrides}), actor)


def cancel(s: DbSession, command: CancelSession, actor: str) -> Done[dict]:
    """Cancel a session that has not started; cancelling it again changes nothing."""
    now = runtime.now()
    session = session_or_refuse(s, command.session_id)
    if session.status == "cancelled":
        return Done(records.session_json(session))
    if session.starts_at <= now:
        raise conflict("not_open", "This session has already started; it cannot be cancelled.")
    session.status = "cancelled"
    session.updated_at = now
    audit_log.record(s, now, actor, "session.cancelled", "session", session.id)
    return Done(records.session_json(session), (Intent(intents.cancel_meeting, (session.id,)),))


# --- registrations ---------------------------------------------------------------------------

def _add(s: DbSession, session: Session, form: RegistrationForm, source: str, actor: str,
         field_prefix: str = "") -> tuple[Registration, tuple[Intent, ...]]:
    """One place at `session`, and the jobs it needs: Zoom's registrant, and, when the public page
    gave new details for someone we know, the email that asks them to confirm (the person's
    details themselves change only through `zoombridge.people.details`)."""
    max_people = records.format_for(session).max_people
    now = runtime.now()
    person, asked = details.person_for_registration(
        s, email=form.email, first_name=form.first_name, phone=form.phone, source=source, actor=actor,
        session_id=session.id, now=now)
    try:
        registration = records.add_registration(s, session, person, form, source=source, now=now,
                                                max_people=max_people)
    except records.AlreadyRegistered:
        raise conflict("already_registered", f"{form.email} is already registered for this session.",
                       field=f"{field_prefix}email") from None
    except records.SessionFull:
        raise conflict("session_full", f"This session is full ({max_people} places).") from None
    except records.NotOpen:
        raise _not_open() from None
    s.flush()
    return registration, (Intent(intents.register, (registration.id,)), *asked)


def register(s: DbSession, command: NewRegistration, actor: str) -> Done[dict]:
    """A place at a session for one person; Zoom registers them (and their link is emailed) by jobs.

    Payment is only asked about for paid kinds: `wants_payment` on an unpaid session is refused.
    A refusal (a wrong field, the session full or not open, the email already registered) writes
    nothing. New details for a person we know are made by staff at once (audited); from the
    public page they wait for the person to confirm them by email (`zoombridge.people.details`).
    """
    if command.source not in SOURCES:
        raise ValueError(f"unknown registration source {command.source!r}")
    session = session_or_refuse(s, command.session_id)
    form = parse_registration(command.answers, records.format_for(session).asks_about_payment,
                              full_pence=payment_decisions.full_pence(session))
    registration, jobs = _add(s, session, form, command.source, actor)
    audit_log.record(s, runtime.now(), actor, "registration.added", "registration", registration.id,
                     session=session.id, source=command.source)
    return Done(records.registration_json(registration), jobs)


def import_registrations(s: DbSession, command: ImportRegistrations, actor: str) -> Done[dict]:
    """Every row of the CSV is registered, or none is (the first wrong row is named `rows[<line>]`).
    One `register-people:{session}` job then registers them all with Zoom, its progress (n of N)
    on the session page."""
    try:
        text = command.csv.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("file", "must be a CSV file in UTF-8") from None
    session = session_or_refuse(s, command.session_id)
    forms = parse_csv(text, records.format_for(session).asks_about_payment, payment_decisions.full_pence(session))
    added = [_add(s, session, form, "import", actor, field_prefix=f"rows[{line}].") for line, form in forms]
    audit_log.record(s, runtime.now(), actor, "registrations.imported", "session", session.id, count=len(added))
    result = {"imported": len(added), "registrations": [records.registration_json(r) for r, _jobs in added]}
    # One job registers them all with Zoom (its progress on the session page); any confirmation
    # emails that new details for known people asked for go out as their own jobs.
    asked = tuple(job for _registration, jobs in added for job in jobs if job.enqueue is not intents.register)
    return Done(result, (Intent(intents.register_people, (session.id,)), *asked))


def cancel_registration(s: DbSession, command: CancelRegistration, actor: str) -> Done[dict]:
    """Cancel one person's place; Zoom is told by a job. Cancelling it again changes nothing."""
    registration = s.get(Registration, command.registration_id)
    if registration is None or registration.session_id != command.session_id:
        raise not_found(f"Session {command.session_id} has no registration {command.registration_id}.")
    if registration.status == "cancelled":
        return Done(records.registration_json(registration))
    now = runtime.now()
    registration.status = "cancelled"
    registration.cancelled_at = now
    audit_log.record(s, now, actor, "registration.cancelled", "registration", registration.id,
                     session=command.session_id)
    return Done(records.registration_json(registration), (Intent(intents.unregister, (registration.id,)),))
