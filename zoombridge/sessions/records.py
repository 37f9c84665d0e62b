"""Sessions, series and registrations in the database, and the facts emails are made from.

Called by the sessions service (`zoombridge.sessions.service`) inside one unit of work, so a
change either writes everything it meant to or nothing, and by the jobs, which re-read a
session with `session_for_step`; jobs are enqueued only after a commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from zoombridge.notify.messages import Attendee, DialIn, JoiningDetails, SessionFacts
from zoombridge.planning.formats import SessionFormat, load_formats
from zoombridge.planning.schedule import day_before, links_due_at, reminder_due_at
from zoombridge.sessions import ai_settings
from zoombridge.sessions.captions import CaptionPlan, caption_plan, room_statuses
from zoombridge.sessions.hosts import host_of
from zoombridge.sessions.meeting_state import MeetingState, has_meeting
from zoombridge.sessions.registration_form import RegistrationForm
from zoombridge.store.breakout_plans import find_plan
from zoombridge.store.models import Person, Registration, Session, SessionSeries


class AlreadyRegistered(Exception):
    """This email already has a place at this session (409)."""


class SessionFull(Exception):
    """The session has as many people as its format allows (409)."""


class NotOpen(Exception):
    """The session is cancelled or over: no registrations, no changes (409)."""


def format_for(session: Session) -> SessionFormat:
    """The session's format with its own overrides applied."""
    fmt = load_formats().get(session.kind)
    if fmt is None:
        raise LookupError(f"session {session.id} has kind {session.kind!r}, which formats.toml no longer defines")
    return fmt.with_overrides(session.overrides) if session.overrides else fmt


# --- sessions and series --------------------------------------------------------------------

def new_session(s: DbSession, *, kind: str, title: str, starts_at: datetime, fmt: SessionFormat,
                overrides: dict, now: datetime, series: SessionSeries | None = None,
                host: str | None = None) -> Session:
    session = Session(kind=kind, title=title, starts_at=starts_at, duration_minutes=fmt.duration_minutes,
                      status="scheduled", overrides=overrides, series=series, zoom_meeting_state=MeetingState.NONE.value,
                      zoom_details={}, captions_state="unknown", revision=0, meeting_part=0, host=host,
                      created_at=now, updated_at=now)
    s.add(session)
    return session


def new_series(s: DbSession, *, kind: str, title: str, starts: list[datetime], weekday: str, fmt: SessionFormat,
               overrides: dict, now: datetime, host: str | None = None) -> tuple[SessionSeries, list[Session]]:
    series = SessionSeries(kind=kind, title=title, rule={"first": weekday, "count": len(starts)}, created_at=now)
    s.add(series)
    sessions = [new_session(s, kind=kind, title=title, starts_at=start, fmt=fmt, overrides=overrides, now=now,
                            series=series, host=host) for start in starts]
    return series, sessions


def is_open(session: Session, now: datetime) -> bool:
    return session.status == "scheduled" and session.starts_at > now


def session_for_step(s: DbSession, session_id: int, *, status: str | None = "scheduled",
                     before: datetime | None = None, needs_meeting: bool = False) -> tuple[Session | None, str | None]:
    """The session a job's step acts on, or (None, why the step has nothing to do).

    Jobs run at least once and may run late, so each re-reads the session first: it may be gone,
    in another status than the step is for (`scheduled`, or `cancelled` for cancellation steps;
    None for any), already started (`before`: the job's now), or without its Zoom meeting yet.
    """
    session = s.get(Session, session_id)
    if session is None:
        return None, "no such session"
    if status is not None and session.status != status:
        return None, f"not {status}"
    if needs_meeting and not has_meeting(session):
        return None, "no meeting"
    if before is not None and session.starts_at <= before:
        return None, "session has started"
    return session, None


# --- registrations ---------------------------------------------------------------------------

def active_count(s: DbSession, session: Session) -> int:
    return s.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == session.id, Registration.status == "active")) or 0


def add_registration(s: DbSession, session: Session, person: Person, form: RegistrationForm, *, source: str,
                     now: datetime, max_people: int) -> Registration:
    """A new place for `person` (or a cancelled one taken up again); NotOpen, SessionFull or
    AlreadyRegistered otherwise. Only this session's answers are written here (how they join,
    their access needs for it, payment): the person's own details change through
    `zoombridge.people.details`, never as a side effect of registering."""
    if not is_open(session, now):
        raise NotOpen()
    if active_count(s, session) >= max_people:
        raise SessionFull()
    registration = s.scalar(select(Registration).where(Registration.session_id == session.id,
                                                       Registration.person_id == person.id))
    if registration is not None and registration.status == "active":
        raise AlreadyRegistered()
    if registration is None:
        registration = Registration(session_id=session.id, person_id=person.id, created_at=now)
        s.add(registration)
    else:  # taken up again after a cancellation: Zoom cancelled the old registrant, so a new one is made
        registration.zoom_registrant_id = None
        registration.join_url = None
        registration.participant_pin_code = None
        registration.link_sent_at = None
        registration.reminder_sent_at = None
    registration.person = person
    registration.status = "active"
    registration.cancelled_at = None
    registration.joins_by = form.joins_by
    registration.access_needs = form.access_needs
    registration.wants_payment = form.wants_payment and not person.is_staff  # staff are never paid
    registration.source = source
    return registration


# --- when things happen --------------------------------------------------------------------

@dataclass(frozen=True)
class Timeline:
    links_at: datetime
    reminder_at: datetime  # the morning reminder to people (if the format has one) and the host pack
    reminds_people: bool
    captions_recheck_at: datetime
    caption_link_at: datetime  # the morning: the captioner's link is fetched then, not the day before


# The caption link goes out a little before the host pack, so the pack can say it has.
CAPTION_LINK_BEFORE_PACK = timedelta(minutes=30)


def timeline(session: Session, fmt: SessionFormat) -> Timeline:
    morning = reminder_due_at(session.starts_at, fmt.reminder_time)
    return Timeline(links_due_at(session.starts_at, fmt.links_lead_days), morning, fmt.reminder == "morning",
                    day_before(session.starts_at), morning - CAPTION_LINK_BEFORE_PACK)


# --- captions per room -------------------------------------------------------------------

def breakout_room_names(s: DbSession, session_id: int) -> tuple[str, ...]:
    """The rooms of the session's newest breakout plan (every round's, in order), if it has one."""
    row = find_plan(s, session_id)
    names: dict[str, None] = {}
    for rnd in (row.plan.get("rounds", []) if row is not None else []):
        for room in rnd.get("rooms", []):
            names.setdefault(room["name"], None)
    return tuple(names)


def caption_plan_for(s: DbSession, session: Session) -> CaptionPlan:
    return caption_plan(format_for(session), breakout_room_names(s, session.id))


# --- facts for emails ----------------------------------------------------------------------

def facts_for(session: Session, fmt: SessionFormat, breakout_rooms: tuple[str, ...] = ()) -> SessionFacts:
    """What emails say about a session. `breakout_rooms` names the planned rooms for the
    captions-per-room lines (the host pack passes them; other emails need none)."""
    details = session.zoom_details or {}
    plan = caption_plan(fmt, breakout_rooms)
    rooms = room_statuses(plan, session.captions_state, session.captions_method, session.caption_link_until)
    joining = JoiningDetails(
        meeting_id=session.zoom_meeting_id,
        phone_passcode=details.get("phone_passcode"),
        dial_in_numbers=tuple(DialIn(d["number"], d.get("label", "")) for d in details.get("dial_in_numbers", [])[:4]),
    )
    return SessionFacts(
        id=session.id, title=session.title, description=fmt.description, starts_at=session.starts_at,
        duration_minutes=session.duration_minutes, revision=session.revision, joining=joining,
        agenda=fmt.agenda, separate_halves=fmt.separate_halves, pre_reading=fmt.pre_reading, paid=fmt.paid,
        captions=session.captions_state, breakouts=fmt.breakouts, poll=fmt.poll, host=host_of(session),
        caption_rooms=tuple((r.room, r.text, r.verified) for r in rooms), caption_warning=plan.warning,
        ai_companion=ai_settings.summary(details.get("ai_companion")))


def attendee_for(registration: Registration) -> Attendee:
    person = registration.person
    return Attendee(registration_id=registration.id, first_name=person.first_name, email=person.email or "",
                    joins_by=registration.joins_by, join_url=registration.join_url,
                    participant_pin=registration.participant_pin_code, access_needs=registration.access_needs,
                    wants_payment=registration.wants_payment)


def active_registrations(s: DbSession, session_id: int) -> list[Registration]:
    return list(s.scalars(select(Registration).where(Registration.session_id == session_id,
                                                     Registration.status == "active")
                          .order_by(Registration.id)))


# --- JSON for the staff API ------------------------------------------------------------------

def session_json(session: Session, registrations: int | None = None) -> dict:
    details = session.zoom_details or {}
    try:
        plan = caption_plan(format_for(session))
    except LookupError:  # a kind formats.toml no longer defines: the session is still listed
        plan = None
    body = {
        "id": session.id,
        "kind": session.kind,
        "title": session.title,
        "starts_at": session.starts_at.isoformat(),
        "duration_minutes": session.duration_minutes,
        "status": session.status,
        "series_id": session.series_id,
        "overrides": session.overrides or {},
        "revision": session.revision,
        "zoom": {
            "state": session.zoom_meeting_state,
            "meeting_id": session.zoom_meeting_id,
            "occurrence_id": session.zoom_occurrence_id,
            "dial_in_numbers": details.get("dial_in_numbers", []),
            "error": details.get("error"),
        },
        "host": host_of(session),
        "captions": {"state": session.captions_state,
                     "checked_at": session.captions_checked_at.isoformat() if session.captions_checked_at else None,
                     "checked_for": session.captions_method,
                     "rooms": [{"room": r.room, "method": r.method} for r in plan.rooms] if plan else [],
                     "warning": plan.warning if plan else None,
                     "caption_link_until": session.caption_link_until.isoformat()
                     if session.caption_link_until else None},
        "ai_companion": details.get("ai_companion"),
    }
    if registrations is not None:
        body["registrations"] = registrations
    return body


def registration_json(registration: Registration) -> dict:
    person = registration.person
    return {
        "id": registration.id,
        "session_id": registration.session_id,
        "first_name": person.first_name,
        "email": person.email,
        "phone": person.phone,
        "joins_by": registration.joins_by,
        "access_needs": registration.access_needs,
        "wants_payment": registration.wants_payment,
        "status": registration.status,
        "source": registration.source,
        "zoom_registered": registration.zoom_registrant_id is not None,
        "link_sent_at": registration.link_sent_at.isoformat() if registration.link_sent_at else None,
    }
