"""A person's own data through the staff API (`/api/v1/people/...`, under the staff token check).

Thin: each view hands the people service a command (`zoombridge.people.service`) and answers
with its result; refusals become JSON errors naming the field (`zoombridge.web.errors`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, g, jsonify, request
from pydantic import BaseModel, Field, create_model

from zoombridge.people import service
from zoombridge.refusals import invalid
from zoombridge.store.person_records import HOLDINGS
from zoombridge.unit_of_work import carry_out
from zoombridge.web import openapi
from zoombridge.web.openapi import Closed

blueprint = Blueprint("people_api", __name__)  # under /api/v1 (web.staff_api.api_v1)


# --- the contract (zoombridge.web.openapi): what these views take and answer ---------------

class _ExportHeading(BaseModel):
    format: str = Field(description=service.EXPORT_FORMAT)
    person_id: int
    exported_at: datetime
    why_we_keep_it: dict[str, str] = Field(description="Each section, and why it is kept (or what erasure leaves)")


# One section per table in the map of what is held about a person (store/person_records.HOLDINGS),
# so the contract cannot miss a section the export has: `person` is one row, the rest are lists.
PersonExport = create_model(
    "PersonExport", __base__=_ExportHeading, __doc__="Everything held about one person, by section.",
    **{h.section: (dict[str, Any] if h.section == "person" else list[dict[str, Any]], ...) for h in HOLDINGS})


class EraseIn(Closed):
    reason: str | None = Field(None, max_length=500, description="Why, on one line (kept in the audit line; "
                                                                 "no names please). Left out: they asked.")


class Erased(BaseModel):
    person_id: int
    erased_at: datetime
    already_erased: bool = Field(description="They were erased before; this changed only what was found since")
    changed: dict[str, int] = Field(description="Rows replaced by a tombstone, by section of the export")


# --- views ---------------------------------------------------------------------------------

@blueprint.get("/people/<int:person_id>/export")
@openapi.operation(responses={200: PersonExport}, errors=(404,))
def export_person(person_id: int):
    """Everything held about the person, as one JSON document (the answer to a subject access request)."""
    result = carry_out(service.export_person, service.ExportPerson(person_id), g.staff_name)
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="person-{person_id}.json"'
    return response


@blueprint.post("/people/<int:person_id>/erase")
@openapi.operation(body=EraseIn, body_required=False, responses={200: Erased}, errors=(400, 404, 409))
def erase_person(person_id: int):
    """Erase the person's personal fields (a tombstone); payment records stay, pseudonymised.

    Refused (409, one code each) while a payment to them waits for the finance export
    (`payment_not_exported`), while they have a place at a session to come (`registered`), while
    attendance at one of their sessions is not final (`attendance_not_final`: at most about 48 hours
    after its scheduled end; the message says when to ask again), or while they are on the staff
    list (`staff`). Erasing again changes only what was found since.
    """
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise invalid("body", "send a JSON object, like {\"reason\": \"asked by email on 20 November\"}")
    for key in body:
        if key != "reason":
            raise invalid(key, "is not a field here (fields: reason)")
    return jsonify(carry_out(service.erase_person, service.ErasePerson(person_id, body.get("reason")), g.staff_name))
