"""A person's own data through the staff API (`/api/v1/people/...`, under the staff token check).

Thin: each view hands the people service a command (`zoombridge.people.service`) and answers
with its result; refusals become JSON errors naming the field (`zoombridge.web.errors`).
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from zoombridge.people import service
from zoombridge.refusals import invalid
from zoombridge.unit_of_work import carry_out

blueprint = Blueprint("people_api", __name__)  # under /api/v1 (web.staff_api.api_v1)


@blueprint.get("/people/<int:person_id>/export")
def export_person(person_id: int):
    """Everything held about the person, as one JSON document (the answer to a subject access request)."""
    result = carry_out(service.export_person, service.ExportPerson(person_id), g.staff_name)
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="person-{person_id}.json"'
    return response


@blueprint.post("/people/<int:person_id>/erase")
def erase_person(person_id: int):
    """Erase the person's personal fields (a tombstone); payment records stay, pseudonymised."""
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise invalid("body", "send a JSON object, like {\"reason\": \"asked by email on 20 November\"}")
    for key in body:
        if key != "reason":
            raise invalid(key, "is not a field here (fields: reason)")
    return jsonify(carry_out(service.erase_person, service.ErasePerson(person_id, body.get("reason")), g.staff_name))
