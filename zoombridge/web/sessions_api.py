"""Staff API for sessions and registrations (`/api/v1/sessions...`, under the staff token check).

A thin adapter over `zoombridge.sessions.service`: a view checks the JSON's shape (an object,
no unknown fields), hands the service a command and answers with its result. The service holds
the rules, writes in one unit of work and returns the jobs to enqueue after the commit; if Redis
is unreachable at that moment the change is still saved and the safety sweep enqueues the work
a few minutes later, so the answer is still a success.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import Blueprint, g, jsonify, request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from zoombridge.planning.formats import WEEKDAYS, load_formats
from zoombridge.refusals import invalid
from zoombridge.sessions import records, service
from zoombridge.sessions.registration_form import JOINS_BY
from zoombridge.store import db_session
from zoombridge.store.models import Registration, Session
from zoombridge.unit_of_work import carry_out
from zoombridge.web import openapi
from zoombridge.web.openapi import Closed

blueprint = Blueprint("sessions_api", __name__)  # under /api/v1 (web.staff_api.api_v1)

SESSION_FIELDS = ("kind", "title", "start", "overrides", "repeat", "host")


# --- the contract (zoombridge.web.openapi): what these views take and answer ---------------

def _kinds(schema: dict) -> None:
    schema["enum"] = list(load_formats().kinds)  # config/formats.toml, read when the document is made


Kind = Annotated[str, Field(json_schema_extra=_kinds, description="A kind from config/formats.toml")]
LocalStart = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", examples=["2027-01-05T10:30"],
                                  description="Date and time in Europe/London (or with an explicit offset); "
                                              "in the future")]
Title = Annotated[str, Field(min_length=1, max_length=200)]


class Repeat(Closed):
    first: Literal[WEEKDAYS] | None = Field(None, description="The first <weekday> of each month; "  # type: ignore[valid-type]
                                                               "default: the format's")
    count: int = Field(ge=2, le=50)


class NewSession(Closed):
    """A session, or with `repeat` a monthly series of them (one Zoom recurring meeting)."""

    kind: Kind
    start: LocalStart
    title: Title | None = None
    overrides: dict[str, Any] | None = Field(None, description="Per-session changes to the format")
    repeat: Repeat | None = None


class SessionChanges(Closed):
    title: Title | None = None
    start: LocalStart | None = None
    overrides: dict[str, Any] | None = None


class ZoomMeeting(BaseModel):
    state: str = Field(description="none, creating, created, failed or deleted")
    meeting_id: int | None
    occurrence_id: str | None
    dial_in_numbers: list[dict[str, Any]]
    error: str | None


class Captions(BaseModel):
    state: str = Field(description="unknown, on or refused")
    checked_at: datetime | None


class SessionOut(BaseModel):
    id: int
    kind: str
    title: str
    starts_at: datetime
    duration_minutes: int
    status: Literal["scheduled", "cancelled"]
    series_id: int | None
    overrides: dict[str, Any]
    revision: int
    zoom: ZoomMeeting
    captions: Captions
    registrations: int | None = Field(None, description="Active registrations (in lists and the session itself)")


class Timeline(BaseModel):
    links_at: datetime
    reminder_at: datetime
    captions_recheck_at: datetime


class SessionWithTimeline(SessionOut):
    timeline: Timeline


class SeriesOut(BaseModel):
    id: int
    kind: str
    title: str
    rule: dict[str, Any]


class NewSeriesOut(BaseModel):
    series: SeriesOut
    sessions: list[SessionOut]


class Sessions(BaseModel):
    sessions: list[SessionOut]


class SessionFilter(BaseModel):
    status: Literal["scheduled", "cancelled"] | None = None


class NewRegistration(Closed):
    first_name: str = Field(min_length=1, max_length=64, description="The name others see on screen")
    email: str = Field(description="An email address; stored lower-case")
    phone: str | None = Field(None, description="A UK number, or another country's with its code; stored as E.164")
    joins_by: Literal[JOINS_BY] | None = "video"  # type: ignore[valid-type]
    access_needs: str | None = Field(None, max_length=2000)
    wants_payment: bool | None = Field(None, description="Only for paid kinds of session")


class RegistrationOut(BaseModel):
    id: int
    session_id: int
    first_name: str
    email: str | None
    phone: str | None
    joins_by: str
    access_needs: str | None
    wants_payment: bool
    status: Literal["active", "cancelled"]
    source: str
    zoom_registered: bool
    link_sent_at: datetime | None


class Registrations(BaseModel):
    registrations: list[RegistrationOut]


class Imported(BaseModel):
    imported: int
    registrations: list[RegistrationOut]


class CsvFile(Closed):
    file: bytes = Field(description="The CSV file")


CSV_UPLOAD = {"text/csv": None, "multipart/form-data": CsvFile}


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("body", "send a JSON object with Content-Type: application/json")
    return body


def _reject_unknown(body: dict, known: tuple[str, ...]) -> None:
    for key in body:
        if key not in known:
            raise invalid(key, f"is not a field here (fields: {', '.join(known)})")


# --- sessions ------------------------------------------------------------------------------

@blueprint.post("/sessions")
@openapi.operation(body=NewSession, responses={201: SessionOut | NewSeriesOut}, errors=(400,))
def create_session():
    """Create a session, or a monthly series; its Zoom meeting is made by a job."""
    body = _json_body()
    _reject_unknown(body, SESSION_FIELDS)
    fields = {"kind": body.get("kind"), "start": body.get("start"), "title": body.get("title"),
              "overrides": body.get("overrides"), "host": body.get("host")}
    if body.get("repeat") is None:
        result = carry_out(service.create_session, service.NewSession(**fields), g.staff_name)
    else:
        result = carry_out(service.create_series, service.NewSeries(**fields, repeat=body["repeat"]), g.staff_name)
    return jsonify(result), 201


@blueprint.get("/sessions")
@openapi.operation(query=SessionFilter, responses={200: Sessions}, errors=(400,))
def list_sessions():
    """Sessions in start order, with how many are registered."""
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
@openapi.operation(responses={200: SessionWithTimeline}, errors=(404,))
def get_session(session_id: int):
    """One session, with when its links, reminder and caption check are due."""
    with db_session() as s:
        session = service.session_or_refuse(s, session_id)
        body = records.session_json(session, records.active_count(s, session))
        when = records.timeline(session, records.format_for(session))
        body["timeline"] = {"links_at": when.links_at.isoformat(), "reminder_at": when.reminder_at.isoformat(),
                            "captions_recheck_at": when.captions_recheck_at.isoformat()}
    return jsonify(body)


@blueprint.patch("/sessions/<int:session_id>")
@openapi.operation(body=SessionChanges, responses={200: SessionOut}, errors=(400, 404, 409))
def update_session(session_id: int):
    """Change a session's title, start or overrides; a new time is sent to everyone registered."""
    body = _json_body()
    _reject_unknown(body, service.RESCHEDULE_FIELDS)
    return jsonify(carry_out(service.reschedule, service.Reschedule(session_id, body), g.staff_name))


@blueprint.delete("/sessions/<int:session_id>")
@openapi.operation(responses={200: SessionOut}, errors=(404, 409))
def cancel_session(session_id: int):
    """Cancel a session that has not started (again: nothing changes)."""
    return jsonify(carry_out(service.cancel, service.CancelSession(session_id), g.staff_name))


# --- registrations -------------------------------------------------------------------------

@blueprint.post("/sessions/<int:session_id>/registrations")
@openapi.operation(body=NewRegistration, responses={201: RegistrationOut}, errors=(400, 404, 409))
def add_registration(session_id: int):
    """Register one person; Zoom registers them and their link is emailed by jobs."""
    command = service.NewRegistration(session_id, _json_body(), source="staff")
    return jsonify(carry_out(service.register, command, g.staff_name)), 201


@blueprint.post("/sessions/<int:session_id>/registrations/import")
@openapi.operation(body=CSV_UPLOAD, responses={201: Imported}, errors=(400, 404, 409, 413))
def import_registrations(session_id: int):
    """Import registrations from a CSV: every row is added, or none is.

    A `text/csv` body, or a `file` form field. The first line names the columns (first_name,
    email, and optionally phone, joins_by, access_needs, wants_payment); a wrong row is named
    `rows[<line>].<field>`.
    """
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    return jsonify(carry_out(service.import_registrations, service.ImportRegistrations(session_id, raw),
                             g.staff_name)), 201


@blueprint.get("/sessions/<int:session_id>/registrations")
@openapi.operation(responses={200: Registrations}, errors=(404,))
def list_registrations(session_id: int):
    """Everyone registered for the session, cancelled registrations included."""
    with db_session() as s:
        service.session_or_refuse(s, session_id)
        rows = s.scalars(select(Registration).where(Registration.session_id == session_id).order_by(Registration.id))
        result = [records.registration_json(r) for r in rows]
    return jsonify({"registrations": result})


@blueprint.delete("/sessions/<int:session_id>/registrations/<int:registration_id>")
@openapi.operation(responses={200: RegistrationOut}, errors=(404,))
def cancel_registration(session_id: int, registration_id: int):
    """Cancel one person's place (again: nothing changes); Zoom is told by a job."""
    command = service.CancelRegistration(session_id, registration_id)
    return jsonify(carry_out(service.cancel_registration, command, g.staff_name))
