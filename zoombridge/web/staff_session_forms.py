"""Staff pages that create things through the sessions API: a new session (or monthly series),
and a session's registrations (add one, import a CSV, cancel one).

Each form is turned into the JSON body the staff API takes and handed to the API's own view
(`staff_api_calls.call`), so the pages check nothing and enqueue nothing themselves: the API
validates, writes in one unit of work and enqueues the Zoom and email jobs. A refusal comes back
naming its field (`start`, `overrides.max_people`, `rows[4].email`), and the page shows the
message next to that field, keeping what was typed.
"""

from __future__ import annotations

import json
import re

from flask import flash, redirect, render_template, request, url_for

from zoombridge.planning.formats import WEEKDAYS, load_formats
from zoombridge.web import sessions_api
from zoombridge.web.staff_api_calls import ApiAnswer, call
from zoombridge.web.staff_pages import blueprint, render_session_page

# Overrides the form asks for one by one (the rest go in the JSON box); numbers are sent as
# numbers when they look like one, else as typed so the API names the field.
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
    """The API body for the new-session form. Raises ValueError for a JSON box that is not a JSON object."""
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
    """The form input an API field belongs to (`overrides.agenda` is in the JSON box)."""
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
    answer = call(sessions_api.create_session, json=body)
    if not answer.ok:
        return _render_new_session(answers, {_input_for(answer.field): _say(answer)}, answer.status)
    sessions = answer.data.get("sessions") or [answer.data]
    flash(f"Created {len(sessions)} session{'s' if len(sessions) > 1 else ''}; the Zoom meeting is being set up.",
          "success")
    return redirect(url_for("staff_pages.session_page", session_id=sessions[0]["id"]), code=303)


def _say(answer: ApiAnswer) -> str:
    """The API's refusal as a sentence that names the field."""
    field = answer.field
    if not field or field == "body":
        return answer.error
    row = re.fullmatch(r"rows\[(\d+)\]\.?(.*)", field)
    if row:
        line, name = row.groups()
        return f"Line {line}{' (' + name.replace('_', ' ') + ')' if name else ''}: {answer.error}"
    return f"{field.split('.')[-1].replace('_', ' ').capitalize()} {answer.error}"


# --- a session's registrations ---------------------------------------------------------------

@blueprint.post("/sessions/<int:session_id>/registrations")
def add_registration(session_id: int):
    body = {name: request.form.get(name, "").strip() for name in REGISTRATION_INPUTS}
    body["wants_payment"] = request.form.get("wants_payment") == "yes"
    answer = call(sessions_api.add_registration, session_id, json=body)
    if not answer.ok:
        field = answer.field if answer.field in REGISTRATION_INPUTS else "registration"
        return render_session_page(session_id, errors={field: _say(answer)}, answers=body, status=answer.status)
    flash(f"{answer.data['first_name']} is registered; Zoom and their emails follow.", "success")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="registrations"), code=303)


@blueprint.post("/sessions/<int:session_id>/registrations/import")
def import_registrations(session_id: int):
    upload = request.files.get("file")
    answer = call(sessions_api.import_registrations, session_id, data=upload.read() if upload else b"",
                  content_type="text/csv")
    if not answer.ok:
        return render_session_page(session_id, errors={"file": _say(answer)}, status=answer.status)
    flash(f"Imported {answer.data['imported']} registrations; Zoom and their emails follow.", "success")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="registrations"), code=303)


@blueprint.post("/sessions/<int:session_id>/registrations/<int:registration_id>/cancel")
def cancel_registration(session_id: int, registration_id: int):
    answer = call(sessions_api.cancel_registration, session_id, registration_id, method="DELETE")
    if answer.ok:
        flash(f"{answer.data['first_name']}'s registration is cancelled; Zoom is told.", "success")
    else:
        flash(answer.error, "error")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="registrations"), code=303)


@blueprint.post("/sessions/<int:session_id>/captions")
def choose_breakout_captions(session_id: int):
    """Staff's choice for a session with a captioner and breakout rooms (the session's overrides)."""
    choice = request.form.get("breakout_captions", "")
    session = call(sessions_api.get_session, session_id)
    if not session.ok:
        return render_session_page(session_id, status=session.status)
    if choice not in CAPTION_CHOICES:
        flash("Choose how the breakout rooms are captioned.", "error")
        return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="captions"))
    overrides = {**(session.data.get("overrides") or {}), "breakout_captions": choice}
    answer = call(sessions_api.update_session, session_id, json={"overrides": overrides}, method="PATCH")
    if answer.ok:
        flash(CAPTION_CHOICES[choice], "success")
    else:
        flash(f"Captions not changed: {answer.error}", "error")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="captions"))
