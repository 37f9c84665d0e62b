"""Staff API for sessions and registrations (`/api/v1/sessions...`, same bearer token as the rest).

Views are thin: check the input (a 400 names the wrong field), write everything in one unit of
work, and only after it has committed enqueue the jobs that talk to Zoom and send email. If
Redis is unreachable at that moment the change is still saved and the safety sweep enqueues the
work a few minutes later, so the answer is still a success.

Series registration: a person registers for one session (one occurrence) of a series; the
series' Zoom meeting is created with "register once and choose occurrences" and each
registrant is added for that session's occurrence only.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify, request
from sqlalchemy import func, select

from workers.jobs import intents
from zoombridge import runtime
from zoombridge.planning.formats import WEEKDAYS, FormatError, load_formats
from zoombridge.planning.schedule import (
    ScheduleError,
    monthly_first_weekday_starts,
    parse_local,
    to_local,
    to_utc,
)
from zoombridge.sessions import records
from zoombridge.sessions.registration_form import InvalidField, parse_csv, parse_registration
from zoombridge.store import db_session
from zoombridge.store.models import AuditEntry, Registration, Session
from zoombridge.web.errors import ApiError, invalid
from zoombridge.web.staff_api import require_staff_token

blueprint = Blueprint("sessions_api", __name__, url_prefix="/api/v1")
blueprint.before_request(require_staff_token)

SESSION_FIELDS = ("kind", "title", "start", "overrides", "repeat", "host")
PATCH_FIELDS = ("title", "start", "overrides")


# --- helpers -------------------------------------------------------------------------------

def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("body", "send a JSON object with Content-Type: application/json")
    return body


def _reject_unknown(body: dict, known: tuple[str, ...]) -> None:
    for key in body:
        if key not in known:
            raise invalid(key, f"is not a field here (fields: {', '.join(known)})")


def _title(value, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 200:
        raise invalid("title", "must be text of 1 to 200 characters")
    return " ".join(value.split())


def _start(value, now: datetime) -> datetime:
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


def _host(value) -> str | None:
    """The Zoom user who hosts the meeting (email or Zoom user id); None: ZOOM_HOST_USER."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 254 or " " in value.strip():
        raise invalid("host", "must be the email address or user id of a Zoom user in the account")
    if value.strip().lower() == "me":
        raise invalid("host", "must name the Zoom user: Server-to-Server apps cannot use 'me'")
    return value.strip().lower() if "@" in value else value.strip()


def _audit(s, action: str, subject_type: str, subject_id, details: dict) -> None:
    s.add(AuditEntry(at=runtime.now(), actor=g.staff_name, action=action, subject_type=subject_type,
                     subject_id=str(subject_id), details=details))


def _session_or_404(s, session_id: int) -> Session:
    session = s.get(Session, session_id)
    if session is None:
        raise ApiError(404, "not_found", f"There is no session {session_id}.")
    return session


def _format_error(exc: FormatError) -> ApiError:
    return invalid(exc.field, exc.message)


# --- sessions ------------------------------------------------------------------------------

@blueprint.post("/sessions")
def create_session():
    body = _json_body()
    _reject_unknown(body, SESSION_FIELDS)
    now = runtime.now()
    formats = load_formats()
    kind = body.get("kind")
    fmt = formats.get(kind) if isinstance(kind, str) else None
    if fmt is None:
        raise invalid("kind", f"must be one of: {', '.join(formats.kinds)}")
    overrides = body.get("overrides") or {}
    try:
        fmt = fmt.with_overrides(overrides)
    except FormatError as exc:
        raise _format_error(exc) from None
    title = _title(body.get("title"), fmt.name)
    starts_at = _start(body.get("start"), now)
    host = _host(body.get("host"))
    repeat = body.get("repeat")
    with db_session() as s:
        if repeat is None:
            session = records.new_session(s, kind=kind, title=title, starts_at=starts_at, fmt=fmt,
                                          overrides=overrides, now=now, host=host)
            s.flush()
            _audit(s, "session.created", "session", session.id, {"kind": kind, "start": starts_at.isoformat()})
            result, lead = records.session_json(session, 0), session.id
        else:
            weekday, count = _repeat(repeat, fmt.default_weekday)
            try:
                starts = monthly_first_weekday_starts(to_local(starts_at).replace(tzinfo=None), weekday, count)
            except ScheduleError as exc:
                raise invalid("start", str(exc)) from None
            series, sessions = records.new_series(s, kind=kind, title=title, starts=starts, weekday=weekday,
                                                  fmt=fmt, overrides=overrides, now=now, host=host)
            s.flush()
            _audit(s, "series.created", "series", series.id, {"kind": kind, "first": weekday, "count": count})
            result = {"series": {"id": series.id, "kind": kind, "title": title, "rule": series.rule},
                      "sessions": [records.session_json(x, 0) for x in sessions]}
            lead = sessions[0].id
    intents.after_commit([lambda conn: intents.create_meeting(conn, lead)])
    return jsonify(result), 201


def _repeat(repeat, default_weekday: str | None) -> tuple[str, int]:
    if not isinstance(repeat, dict):
        raise invalid("repeat", 'must be an object like {"first": "tuesday", "count": 6}')
    for key in repeat:
        if key not in ("first", "count"):
            raise invalid(f"repeat.{key}", "is not a field here (fields: first, count)")
    weekday = repeat.get("first") or default_weekday
    if weekday not in WEEKDAYS:
        raise invalid("repeat.first", f"must be a day of the week: {', '.join(WEEKDAYS)}")
    count = repeat.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= 50:
        raise invalid("repeat.count", "must be a whole number from 2 to 50")
    return weekday, count


@blueprint.get("/sessions")
def list_sessions():
    status = request.args.get("status")
    if status is not None and status not in ("scheduled", "cancelled"):
        raise invalid("status", "must be scheduled or cancelled")
    with db_session() as s:
        counts = dict(s.execute(select(Registration.session_id, func.count()).where(
            Registration.status == "active").group_by(Registration.session_id)).all())
        query = select(Session).order_by(Session.starts_at, Session.id).limit(1000)
        if status:
            query = query.where(Session.status == status)
        sessions = [records.session_json(x, counts.get(x.id, 0)) for x in s.scalars(query)]
    return jsonify({"sessions": sessions})


@blueprint.get("/sessions/<int:session_id>")
def get_session(session_id: int):
    with db_session() as s:
        session = _session_or_404(s, session_id)
        body = records.session_json(session, records.active_count(s, session))
        when = records.timeline(session, records.format_for(session))
        body["timeline"] = {"links_at": when.links_at.isoformat(), "reminder_at": when.reminder_at.isoformat(),
                            "captions_recheck_at": when.captions_recheck_at.isoformat()}
    return jsonify(body)


@blueprint.patch("/sessions/<int:session_id>")
def update_session(session_id: int):
    body = _json_body()
    _reject_unknown(body, PATCH_FIELDS)
    now = runtime.now()
    with db_session() as s:
        session = _session_or_404(s, session_id)
        if not records.is_open(session, now):
            raise ApiError(409, "not_open", "This session is cancelled or has already started.")
        changes: dict = {}
        if "title" in body:
            title = _title(body["title"], session.title)
            if title != session.title:
                changes["title"] = title
                session.title = title
        if "overrides" in body:
            try:
                fmt = load_formats().get(session.kind).with_overrides(body["overrides"] or {})
            except FormatError as exc:
                raise _format_error(exc) from None
            session.overrides = body["overrides"] or {}
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
        if changes:
            session.updated_at = now
            _audit(s, "session.updated", "session", session.id, changes)
        result = records.session_json(session, records.active_count(s, session))
        change_key = f"{session.revision}-{int(now.timestamp() * 1000)}"
    if changes:
        steps = [lambda conn: intents.update_meeting(conn, session_id, change_key)]
        if "overrides" in changes:  # the caption plan may have changed (captioner, breakout rooms' captions)
            steps.append(lambda conn: intents.ensure_captions(conn, session_id))
        intents.after_commit(steps)
    return jsonify(result)


@blueprint.delete("/sessions/<int:session_id>")
def cancel_session(session_id: int):
    now = runtime.now()
    with db_session() as s:
        session = _session_or_404(s, session_id)
        if session.status == "cancelled":
            return jsonify(records.session_json(session))
        if session.starts_at <= now:
            raise ApiError(409, "not_open", "This session has already started; it cannot be cancelled.")
        session.status = "cancelled"
        session.updated_at = now
        _audit(s, "session.cancelled", "session", session.id, {})
        result = records.session_json(session)
    intents.after_commit([lambda conn: intents.cancel_meeting(conn, session_id)])
    return jsonify(result)


# --- registrations -------------------------------------------------------------------------

def _paid_and_capacity(session: Session) -> tuple[bool, int]:
    fmt = records.format_for(session)
    return fmt.paid, fmt.max_people


def _add(s, session: Session, form, source: str, field_prefix: str = "") -> Registration:
    _paid, max_people = _paid_and_capacity(session)
    try:
        registration = records.add_registration(s, session, form, source=source, now=runtime.now(),
                                                max_people=max_people)
    except records.AlreadyRegistered:
        raise ApiError(409, "already_registered", f"{form.email} is already registered for this session.",
                       field=f"{field_prefix}email") from None
    except records.SessionFull:
        raise ApiError(409, "session_full", f"This session is full ({max_people} places).") from None
    except records.NotOpen:
        raise ApiError(409, "not_open", "This session is cancelled or has already started.") from None
    s.flush()
    return registration


@blueprint.post("/sessions/<int:session_id>/registrations")
def add_registration(session_id: int):
    body = _json_body()
    with db_session() as s:
        session = _session_or_404(s, session_id)
        paid, _max = _paid_and_capacity(session)
        try:
            form = parse_registration(body, paid)
        except InvalidField as exc:
            raise invalid(exc.field, exc.message) from None
        registration = _add(s, session, form, "staff")
        _audit(s, "registration.added", "registration", registration.id, {"session": session_id})
        result = records.registration_json(registration)
    intents.after_commit([lambda conn: intents.register(conn, result["id"])])
    return jsonify(result), 201


@blueprint.post("/sessions/<int:session_id>/registrations/import")
def import_registrations(session_id: int):
    """A CSV (`text/csv` body, or a `file` form field): every row is added, or none is."""
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("file", "must be a CSV file in UTF-8") from None
    with db_session() as s:
        session = _session_or_404(s, session_id)
        paid, _max = _paid_and_capacity(session)
        try:
            forms = parse_csv(text, paid)
        except InvalidField as exc:
            raise invalid(exc.field, exc.message) from None
        added = [_add(s, session, form, "import", field_prefix=f"rows[{line}].") for line, form in forms]
        _audit(s, "registrations.imported", "session", session_id, {"count": len(added)})
        result = {"imported": len(added), "registrations": [records.registration_json(r) for r in added]}
    ids = [r["id"] for r in result["registrations"]]
    intents.after_commit([lambda conn, i=i: intents.register(conn, i) for i in ids])
    return jsonify(result), 201


@blueprint.get("/sessions/<int:session_id>/registrations")
def list_registrations(session_id: int):
    with db_session() as s:
        _session_or_404(s, session_id)
        rows = s.scalars(select(Registration).where(Registration.session_id == session_id).order_by(Registration.id))
        result = [records.registration_json(r) for r in rows]
    return jsonify({"registrations": result})


@blueprint.delete("/sessions/<int:session_id>/registrations/<int:registration_id>")
def cancel_registration(session_id: int, registration_id: int):
    now = runtime.now()
    with db_session() as s:
        registration = s.get(Registration, registration_id)
        if registration is None or registration.session_id != session_id:
            raise ApiError(404, "not_found", f"Session {session_id} has no registration {registration_id}.")
        changed = registration.status != "cancelled"
        if changed:
            registration.status = "cancelled"
            registration.cancelled_at = now
            _audit(s, "registration.cancelled", "registration", registration.id, {"session": session_id})
        result = records.registration_json(registration)
    if changed:
        intents.after_commit([lambda conn: intents.unregister(conn, registration_id)])
    return jsonify(result)
