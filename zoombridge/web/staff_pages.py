"""Staff pages under `/staff`: thin views over the session, planning and payment services.

Every view reads or changes state through the same service functions the staff JSON API uses;
the pages add nothing but HTML, forms and redirects (POST, then redirect, then GET).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from sqlalchemy import select

from zoombridge.store import db_session
from zoombridge.store.models import Session
from zoombridge.web import csrf, layout, staff_sign_in

blueprint = layout.html_errors(csrf.protect(Blueprint("staff_pages", __name__, url_prefix="/staff")))
staff_sign_in.guard_blueprint(blueprint)


@blueprint.get("/")
def home():
    return redirect(url_for("staff_pages.sessions"))


@blueprint.get("/sessions")
def sessions():
    with db_session() as s:
        rows = list(s.scalars(select(Session).order_by(Session.starts_at)))
    return render_template("staff/sessions.html", sessions=rows)


@blueprint.get("/sessions/new")
def new_session():
    return render_template("staff/new_session.html")


@blueprint.get("/payments")
def payments():
    return render_template("staff/payments.html")
