"""The public registration page `/register/<session>`: no account, works without JavaScript.

The page only turns the form into a registration request and shows the answer: checking the
fields and saving the registration belong to the registration service (the same one the staff
API uses), whose errors name the field they are about, so each is shown next to its field.
Against spam: a honeypot field people never see, and a per-address limit kept in Redis.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from workers.connection import current_redis
from zoombridge import logs, runtime
from zoombridge.store import db_session
from zoombridge.web import csrf, layout
from zoombridge.web import public_signup as signup

log = logging.getLogger("zoombridge.web.public")
blueprint = layout.html_errors(csrf.protect(Blueprint("public", __name__, url_prefix="/register")))

HONEYPOT_FIELD = "website"
RATE_LIMIT = 20  # registrations per address per window: a family or an office may share one
RATE_WINDOW_SECONDS = 60 * 60
FIELDS = ("first_name", "email", "phone", "joins_by", "access_needs", "wants_payment")


@dataclass(frozen=True)
class FormAnswers:
    first_name: str = ""
    email: str = ""
    phone: str = ""
    joins_by: str = "video"
    access_needs: str = ""
    wants_payment: bool = False

    @classmethod
    def from_form(cls, form) -> FormAnswers:
        return cls(
            first_name=form.get("first_name", "").strip(),
            email=form.get("email", "").strip(),
            phone=form.get("phone", "").strip(),
            joins_by=form.get("joins_by", ""),
            access_needs=form.get("access_needs", "").strip(),
            wants_payment=form.get("wants_payment") == "yes",
        )


def _address_key() -> str:
    address = request.remote_addr or "unknown"
    digest = hashlib.sha256(f"{runtime.settings().effective_secret_key}:{address}".encode()).hexdigest()[:24]
    return f"register-rate:{digest}"


def _over_rate_limit() -> bool:
    """Count this attempt for the caller's address; True once it is past the limit."""
    redis = current_redis()
    key = _address_key()
    with redis.pipeline() as pipe:
        pipe.set(key, 0, ex=RATE_WINDOW_SECONDS, nx=True)  # the window starts at the first attempt
        pipe.incr(key)
        _, count = pipe.execute()
    return int(count) > RATE_LIMIT


def _open_session_or_404(s, session_id: int) -> signup.OpenSession:
    found = signup.open_session(s, session_id, runtime.now())
    if found is None:
        abort(404, description="This session is not open for registration. It may have finished or been "
                               "cancelled. If you think this is a mistake, email us.")
    return found


@blueprint.route("/<int:session_id>", methods=["GET", "POST"])
def register(session_id: int):
    with db_session() as s:
        open_session = _open_session_or_404(s, session_id)
    if request.method == "GET":
        return render_template("public/register.html", open_session=open_session, answers=FormAnswers(), errors={})

    if _over_rate_limit():
        logs.event(log, "registration_rate_limited", session_id=session_id)
        abort(429, description="There have been too many registrations from your connection in the last hour. "
                               "Please try again later, or email us and we will register you.")
    answers = FormAnswers.from_form(request.form)
    if request.form.get(HONEYPOT_FIELD):
        logs.event(log, "registration_honeypot", session_id=session_id)
        return _confirm(session_id, answers.first_name or "there")

    with db_session() as s:
        errors = signup.register(s, session_id, answers, runtime.now())
    if errors:
        return render_template("public/register.html", open_session=open_session, answers=answers,
                               errors=errors), 400
    logs.event(log, "registration_received", session_id=session_id, source="public")
    return _confirm(session_id, answers.first_name, answers.email, answers.joins_by)


def _confirm(session_id: int, first_name: str, email: str = "", joins_by: str = "video"):
    session["registered"] = {"session_id": session_id, "first_name": first_name[:64], "email": email[:254],
                             "joins_by": joins_by}
    return redirect(url_for("public.registered", session_id=session_id), code=303)


@blueprint.get("/<int:session_id>/registered")
def registered(session_id: int):
    details = session.get("registered")
    if not details or details.get("session_id") != session_id:
        return redirect(url_for("public.register", session_id=session_id))
    with db_session() as s:
        open_session = _open_session_or_404(s, session_id)
    return render_template("public/registered.html", open_session=open_session, details=details)
