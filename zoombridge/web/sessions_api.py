"""Staff API for sessions and registrations (`/api/v1/sessions...`, under the staff token check).

A thin adapter over `zoombridge.sessions.service`: a view checks the JSON's shape (an object,
no unknown fields), hands the service a command and answers with its result. The service holds
the rules, writes in one unit of work and returns the jobs to enqueue after the commit; if Redis
is unreachable at that moment the change is still saved and the safety sweep enqueues the work
a few minutes later, so the answer is still a success.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import func, select

from zoombridge.refusals import invalid
from zoombridge.sessions import records, service
from zoombridge.store import db_session
from zoombridge.store.models import Registration, Session
from zoombridge.unit_of_work import carry_out

blueprint = Blueprint("sessions_api", __name__)  # under /api/v1 (web.staff_api.api_v1)

SESSION_FIELDS = ("kind", "title", "start", "overrides", "repeat", "host")


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
def create_session():
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
        session = service.session_or_refuse(s, session_id)
        body = records.session_json(session, records.active_count(s, session))
        when = records.timeline(session, records.format_for(session))
        body["timeline"] = {"links_at": when.links_at.isoformat(), "reminder_at": when.reminder_at.isoformat(),
                            "captions_recheck_at": when.captions_recheck_at.isoformat()}
    return jsonify(body)


@blueprint.patch("/sessions/<int:session_id>")
def update_session(session_id: int):
    body = _json_body()
    _reject_unknown(body, service.RESCHEDULE_FIELDS)
    return jsonify(carry_out(service.reschedule, service.Reschedule(session_id, body), g.staff_name))


@blueprint.delete("/sessions/<int:session_id>")
def cancel_session(session_id: int):
    return jsonify(carry_out(service.cancel, service.CancelSession(session_id), g.staff_name))


# --- registrations -------------------------------------------------------------------------

@blueprint.post("/sessions/<int:session_id>/registrations")
def add_registration(session_id: int):
    command = service.NewRegistration(session_id, _json_body(), source="staff")
    return jsonify(carry_out(service.register, command, g.staff_name)), 201


@blueprint.post("/sessions/<int:session_id>/registrations/import")
def import_registrations(session_id: int):
    """A CSV (`text/csv` body, or a `file` form field): every row is added, or none is."""
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    return jsonify(carry_out(service.import_registrations, service.ImportRegistrations(session_id, raw),
                             g.staff_name)), 201


@blueprint.get("/sessions/<int:session_id>/registrations")
def list_registrations(session_id: int):
    with db_session() as s:
        service.session_or_refuse(s, session_id)
        rows = s.scalars(select(Registration).where(Registration.session_id == session_id).order_by(Registration.id))
        result = [records.registration_json(r) for r in rows]
    return jsonify({"registrations": result})


@blueprint.delete("/sessions/<int:session_id>/registrations/<int:registration_id>")
def cancel_registration(session_id: int, registration_id: int):
    command = service.CancelRegistration(session_id, registration_id)
    return jsonify(carry_out(service.cancel_registration, command, g.staff_name))
