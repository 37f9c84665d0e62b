"""The staff person page (`/staff/people/<id>`): one person's sessions, attendance, payments and
claims, with their data export and erasure.

Thin: the page reads `people.service.person_overview`; the export and the erasure go through the
same service calls as the staff API and `zoombridge people` (so they are audited the same way).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from zoombridge.payments import choices
from zoombridge.people import service
from zoombridge.refusals import Refused
from zoombridge.store import db_session
from zoombridge.unit_of_work import carry_out
from zoombridge.web import csrf, layout, staff_sign_in
from zoombridge.web.staff_pages import actor

blueprint = layout.html_errors(csrf.protect(Blueprint("staff_people", __name__, url_prefix="/staff/people")))
staff_sign_in.guard_blueprint(blueprint)


def _overview(person_id: int) -> service.PersonOverview:
    with db_session() as s:
        return service.person_overview(s, person_id)


@blueprint.get("/<int:person_id>")
def person(person_id: int):
    return render_template("staff/person.html", view=_overview(person_id), choice_words=choices.WORDS)


@blueprint.get("/<int:person_id>/export.json")
def export(person_id: int):
    """Everything held about the person, as the JSON file they are sent (a subject access request)."""
    result = carry_out(service.export_person, service.ExportPerson(person_id), actor())
    return Response(json.dumps(result, indent=2, ensure_ascii=False), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="person-{person_id}.json"'})


@blueprint.route("/<int:person_id>/erase", methods=["GET", "POST"])
def erase(person_id: int):
    """A confirmation page (what goes, what stays, why it may not be possible yet), then the erasure."""
    errors: dict[str, str] = {}
    reason = request.form.get("reason", "").strip()
    if request.method == "POST":
        try:
            carry_out(service.erase_person, service.ErasePerson(person_id, reason or None), actor())
        except Refused as exc:
            if exc.kind == "not_found":
                raise
            errors[exc.field or "reason"] = exc.message
        else:
            flash("Their details were erased. Payments and the audit trail are kept without them.", "success")
            return redirect(url_for("staff_people.person", person_id=person_id))
    view = _overview(person_id)
    status = 409 if errors and "reason" not in errors else (400 if errors else 200)
    return render_template("staff/person_erase.html", view=view, errors=errors, reason=reason), status
