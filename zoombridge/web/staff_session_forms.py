"""Staff pages that create things through the sessions service: a new session (or monthly
series), a session's registrations (add one, import a CSV, cancel one), and how its breakout
rooms are captioned.

Each form is turned into the command the service takes (the same one the staff JSON API hands
it), so the pages check nothing and enqueue nothing themselves: the service validates and
writes in one unit of work, and the Zoom and email jobs are enqueued after it commits. A refusal
names its field (`start`, `overrides.max_people`, `rows[4].email`), and the page shows the
message next to that field, keeping what was typed.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for

from zoombridge.planning.formats import WEEKDAYS, load_formats
from zoombridge.refusals import Refused
from zoombridge.sessions import service
from zoombridge.unit_of_work import carry_out
from zoombridge.web import csrf, layout, staff_sign_in
from zoombridge.web.staff_pages import actor, render_session_page

blueprint = layout.html_errors(csrf.protect(Blueprint("staff_session_forms", __name__, url_prefix="/staff")))
staff_sign_in.guard_blueprint(blueprint)

# Overrides the form asks for one by one (the rest go in the JSON box); numbers are sent as
# numbers when they look like one, else as typed so the service names the field.
NUMBER_OVERRIDES = ("duration_minutes", "max_people", "links_lead_days")
TEXT_OVERRIDES = ("description", "reminder", "reminder_time", "captioner_email")
OVERRIDES_JSON = "overrides_json"
REGISTRATION_INPUTS = ("first_name", "email", "phone", "joins_by", "access_needs")
CAPTION_CHOICES = {  # the `breakout_captions` override, as the session page offers it
    "automated": "Breakout rooms: Zoom's automated captions in every room, without the captioner.",
    "none": "Breakout rooms: the captioner stays in the main room; breakout rooms have no captions.",
}


def _number_or_text(raw: str) -> int | str:
    return int(raw) if re.fullmatch(r"-?[0-9]{1,9}", raw) else raw


def _new_session_body(form) -> dict:
    """The new-session form as the fields of the service's command. Raises ValueError for a JSON box that is not a JSON object."""
    date, time = form.get("start_date", "").strip(), form.get("start_time", "").strip()
    body: dict = {"kind": form.get("kind") or None, "start": f"{date}T{time}" if date and time else None}
    if title := form.get("title", "").strip():
        body["title"] = title
    if host := form.get("host", "").strip():
        body["host"] = host
    overrides: dict = {}
    if extra := form.get(OVERRIDES_JSON, "").strip():
        try:
            overrides = json.loads(extra)
        except ValueError:
            overrides = None
        if not isinstance(overrides, dict):
            raise ValueError('must be a JSON object, like {"agenda": [{"title": "Welcome", "minutes": 10}]}')
    for name in NUMBER_OVERRIDES:
        if raw := form.get(name, "").strip():
            overrides[name] = _number_or_text(raw)
    for name in TEXT_OVERRIDES:
        if raw := form.get(name, "").strip():
            overrides[name] = raw
    if overrides:
        body["overrides"] = overrides
    if form.get("monthly") == "yes":
        body["repeat"] = {"first": form.get("repeat_first") or None,
                          "count": _number_or_text(form.get("repeat_count", "").strip())}
    return body


def _input_for(field: str | None) -> str:
    """The form input a refused field belongs to (`overrides.agenda` is in the JSON box)."""
    if field in (None, "body"):
        return "form"
    if field == "start":
        return "start_date"
    if field.startswith("repeat"):
        return {"repeat.first": "repeat_first", "repeat.count": "repeat_count"}.get(field, "monthly")
    if field.startswith("overrides."):
        name = field.split(".", 2)[1]
        return name if name in NUMBER_OVERRIDES + TEXT_OVERRIDES else OVERRIDES_JSON
    return "overrides_json" if field == "overrides" else field


def _render_new_session(answers: dict, errors: dict, status: int = 200):
    formats = load_formats()
    kinds = [(kind, formats.get(kind).name) for kind in formats.kinds]
    return render_template("staff/new_session.html", kinds=kinds, weekdays=[(w, w.capitalize()) for w in WEEKDAYS],
                           answers=answers,
                           errors=errors), status


@blueprint.route("/sessions/new", methods=["GET", "POST"])
def new_session():
    if request.method == "GET":
        return _render_new_session({"repeat_count": "6"}, {})
    answers = request.form.to_dict()
    try:
        body = _new_session_body(request.form)
    except ValueError as exc:
        return _render_new_session(answers, {OVERRIDES_JSON: f"Other overrides {exc}"}, 400)
    repeat = body.pop("repeat", None)
    try:
        if repeat is None:
            created = carry_out(service.create_session, service.NewSession(**body), actor())
        else:
            created = carry_out(service.create_series, service.NewSeries(**body, repeat=repeat), actor())
    except Refused as exc:
        return _render_new_session(answers, {_input_for(exc.field): _say(exc)}, exc.status)
    sessions = created.get("sessions") or [created]
    flash(f"Created {len(sessions)} session{'s' if len(sessions) > 1 else ''}; the Zoom meeting is being set up.",
          "success")
    return redirect(url_for("staff_pages.session_page", session_id=sessions[0]["id"]), code=303)


def _say(refusal: Refused) -> str:
    """The refusal as a sentence that names the field."""
    field = refusal.field
    if not field or field == "body":
        return refusal.message
    row = re.fullmatch(r"rows\[(\d+)\]\.?(.*)", field)
    if row:
        line, name = row.groups()
        return f"Line {line}{' (' + name.replace('_', ' ') + ')' if name else ''}: {refusal.message}"
    return f"{field.split('.')[-1].replace('_', ' ').capitalize()} {refusal.message}"


# --- a session's registrations ---------------------------------------------------------------

@blueprint.post("/sessions/<int:session_id>/registrations")
def add_registration(session_id: int):
    body = {name: request.form.get(name, "").strip() for name in REGISTRATION_INPUTS}
    body["wants_payment"] = request.form.get("wants_payment") == "yes"
    try:
        carry_out(service.register, service.NewRegistration(session_id, body, source="staff"), actor())
    except Refused as exc:
        field = exc.field if exc.field in REGISTRATION_INPUTS else "registration"
        return render_session_page(session_id, errors={field: _say(exc)}, answers=body, status=exc.status)
    flash("Registered; Zoom and their emails follow.", "success")  # no names in the cookie's flashes
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="registrations"), code=303)


@blueprint.post("/sessions/<int:session_id>/registrations/import")
def import_registrations(session_id: int):
    upload = request.files.get("file")
    command = service.ImportRegistrations(session_id, upload.read() if upload else b"")
    try:
        imported = carry_out(service.import_registrations, command, actor())
    except Refused as exc:
        return render_session_page(session_id, errors={"file": _say(exc)}, status=exc.status)
    flash(f"Imported {imported['imported']} registrations; Zoom and their emails follow.", "success")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="registrations"), code=303)


@blueprint.post("/sessions/<int:session_id>/registrations/<int:registration_id>/cancel")
def cancel_registration(session_id: int, registration_id: int):
    command = service.CancelRegistration(session_id, registration_id)
    try:
        carry_out(service.cancel_registration, command, actor())
    except Refused as exc:
        flash(exc.message, "error")
    else:
        flash("The registration is cancelled; Zoom is told.", "success")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="registrations"), code=303)


@blueprint.post("/sessions/<int:session_id>/captions")
def choose_breakout_captions(session_id: int):
    """Staff's choice for a session with a captioner and breakout rooms (the session's overrides)."""
    choice = request.form.get("breakout_captions", "")
    if choice not in CAPTION_CHOICES:
        flash("Choose how the breakout rooms are captioned.", "error")
    else:
        try:
            carry_out(service.choose_breakout_captions, service.ChooseBreakoutCaptions(session_id, choice), actor())
        except Refused as exc:
            if exc.kind == "not_found":
                raise
            flash(f"Captions not changed: {exc.message}", "error")
        else:
            flash(CAPTION_CHOICES[choice], "success")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="captions"), code=303)
