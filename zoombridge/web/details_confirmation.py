"""The page the emailed link opens: a person confirms new details given for them (issue 13, item 9).

Opening the link changes nothing (mail scanners open links too): the page shows the new details
and a Confirm button, and pressing it (a POST carrying this browser's form token) makes the
change through `zoombridge.people.details.confirm_details`, the one rule for changing a person.
The link's token travels in the query string (the access log writes paths without query strings)
and then in the form; the page is not cached and sends no referrer.
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for

from zoombridge import logs, phone_numbers
from zoombridge.people import details
from zoombridge.refusals import Refused
from zoombridge.store import db_session
from zoombridge.unit_of_work import carry_out
from zoombridge.web import csrf, layout

log = logging.getLogger(__name__)
blueprint = layout.html_errors(csrf.protect(
    Blueprint("details_confirmation", __name__, url_prefix="/register/confirm-details")))
LABELS = {"first_name": "First name", "phone": "Phone number"}


@blueprint.after_request
def _keep_the_link_private(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("")
def show():
    token = request.args.get("token", "")
    try:
        with db_session() as s:
            wanted = details.requested_change(s, token)
    except Refused as exc:
        return _cannot_use(exc)
    return render_template("public/confirm_details.html", token=token,
                           wanted=[(LABELS[name], phone_numbers.for_people(value) if name == "phone" else value)
                                   for name, value in wanted.items()])


@blueprint.post("")
def confirm():
    try:
        changed = carry_out(details.confirm_details, details.ConfirmDetails(request.form.get("token", "")),
                            details.PERSON)
    except Refused as exc:
        return _cannot_use(exc)
    logs.event(log, "person_details_confirmed", fields=",".join(changed["fields"]))
    return redirect(url_for(".done"), code=303)


@blueprint.get("/done")
def done():
    return render_template("public/details_confirmed.html")


def _cannot_use(refusal: Refused):
    heading = "This link is not valid" if refusal.kind == "not_found" else "This link cannot be used"
    return render_template("error.html", heading=heading, message=refusal.message), refusal.status
