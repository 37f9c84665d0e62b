"""The public registration page `/register/<session>`: no account, works without JavaScript.

The page only turns the form into a registration command and shows the answer: checking the
fields, saving the registration and auditing it belong to the registration service
(`zoombridge.sessions.service.register`, the same one the staff API and pages use), whose
refusals name the field they are about, so each is shown next to its field.
Against spam: a honeypot field people never see, and a per-address limit kept in Redis.
The browser's cookie holds no personal data: the thank-you page's "Thank you, Ada" is kept in
Redis for half an hour under a random handle, and the cookie carries only that handle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from redis.exceptions import RedisError

from zoombridge import logs, runtime
from zoombridge.payments import decisions as payment_decisions
from zoombridge.payments.money import AmountError, pence_from_pounds
from zoombridge.payments.statement import PAYMENT_NOTES
from zoombridge.queue.connection import current_redis
from zoombridge.refusals import Refused
from zoombridge.sessions import records, service
from zoombridge.sessions.registration_form import InvalidFields
from zoombridge.store import db_session
from zoombridge.store.models import Session
from zoombridge.unit_of_work import carry_out
from zoombridge.web import csrf, layout

log = logging.getLogger(__name__)
blueprint = layout.html_errors(csrf.protect(Blueprint("public", __name__, url_prefix="/register")))

HONEYPOT_FIELD = "website"
RATE_LIMIT = 20  # registrations per address per window: a family or an office may share one
RATE_WINDOW_SECONDS = 60 * 60
REMEMBER_TYPED = timedelta(minutes=30)  # how long the thank-you page can show what was typed
# How each field is named on the page; the service's message follows the name ("Email address
# must be an email address, like name@example.com").
LABELS = {"first_name": "First name", "email": "Email address", "phone": "Phone number",
          "joins_by": "How you will join", "access_needs": "What would help you take part",
          "wants_payment": "Payment", "payment_choice": "How you would like to be paid",
          "lower_amount": "The lower amount", "charity": "The charity"}
# The service names the amount in pence (as the API does); the page asks for pounds.
PAGE_FIELDS = {"lower_amount_pence": "lower_amount"}
NOT_POUNDS = "must be an amount in pounds, like 12.50"  # what the page says when it could not read one
ANY_POUNDS = 9_999_999_99  # as many pounds as the amount's pattern reads (`money.pence_from_pounds`)


@dataclass(frozen=True)
class OpenSession:
    """What the page shows about a session that takes registrations (its format applied)."""

    id: int
    title: str
    kind_name: str
    description: str
    starts_at: datetime
    duration_minutes: int
    asks_about_payment: bool
    links_lead_days: int
    full_pence: int  # the policy's full payment for one person (a lower amount is less)


@dataclass(frozen=True)
class FormAnswers:
    first_name: str = ""
    email: str = ""
    phone: str = ""
    joins_by: str = "video"
    access_needs: str = ""
    wants_payment: bool = False
    payment_choice: str = "cash"  # payments/choices.py; only when they ask to be paid
    lower_amount: str = ""  # pounds, as typed
    charity: str = ""

    @classmethod
    def from_form(cls, form) -> FormAnswers:
        return cls(
            first_name=form.get("first_name", "").strip(),
            email=form.get("email", "").strip(),
            phone=form.get("phone", "").strip(),
            joins_by=form.get("joins_by", ""),
            access_needs=form.get("access_needs", "").strip(),
            wants_payment=form.get("wants_payment") == "yes",
            payment_choice=form.get("payment_choice", "cash") or "cash",
            lower_amount=form.get("lower_amount", "").strip(),
            charity=form.get("charity", "").strip(),
        )

    @property
    def lower_amount_pence(self) -> int | str:
        """The lower amount in pence, however large (the service says what it must be below); what
        is not an amount in pounds goes to the service as typed, which refuses it by name (never
        read as pence: "5000" is £5,000, not £50)."""
        try:
            return pence_from_pounds(self.lower_amount, most=ANY_POUNDS)
        except AmountError:
            return self.lower_amount

    def registration(self, asks_about_payment: bool) -> dict:
        """The answers as the registration service takes them; payment only where the page asks."""
        body = {"first_name": self.first_name, "email": self.email, "phone": self.phone,
                "joins_by": self.joins_by, "access_needs": self.access_needs}
        if asks_about_payment:
            body["wants_payment"] = self.wants_payment
            if self.wants_payment:
                body["payment_choice"] = self.payment_choice
                if self.payment_choice == "lower":
                    body["lower_amount_pence"] = self.lower_amount_pence
                if self.payment_choice == "charity":
                    body["charity"] = self.charity
        return body


def _address_key() -> str:
    address = request.remote_addr or "unknown"
    digest = hashlib.sha256(f"{runtime.settings().effective_secret_key}:{address}".encode()).hexdigest()[:24]
    return f"register-rate:{digest}"


def _over_rate_limit() -> bool:
    """Count this attempt for the caller's address; True once it is past the limit.

    Attempts are counted per hour of the app's clock (the key names the hour; Redis's expiry by
    the machine's clock only tidies the key away), so the window is the service's one time.
    With Redis down the limit is not applied (and the miss is logged): turning a member of the
    public away costs more than a little spam, and the registration itself is in the database.
    """
    window = int(runtime.now().timestamp()) // RATE_WINDOW_SECONDS
    key = f"{_address_key()}:{window}"
    try:
        with current_redis().pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, RATE_WINDOW_SECONDS)
            count, _ = pipe.execute()
    except (RedisError, OSError) as exc:
        logs.event(log, "registration_rate_limit_unavailable", logging.WARNING, error=type(exc).__name__)
        return False
    return int(count) > RATE_LIMIT


def _open_session_or_404(s, session_id: int) -> tuple[Session, OpenSession]:
    found = s.get(Session, session_id)
    if found is None or not records.is_open(found, runtime.now()):
        abort(404, description="This session is not open for registration. It may have finished or been "
                               "cancelled. If you think this is a mistake, email us.")
    fmt = records.format_for(found)
    return found, OpenSession(found.id, found.title, fmt.name, fmt.description, found.starts_at,
                              found.duration_minutes, fmt.asks_about_payment, fmt.links_lead_days,
                              payment_decisions.full_pence(found))


ACTOR = "public registration page"  # who the audit log says registered, for the public page


def _save(open_session: OpenSession, answers: FormAnswers) -> None:
    """Register through the registration service. An email that already has a place is answered
    as if it were new (the page does not tell strangers who is registered); nothing is written
    for it, since a refusal rolls the unit of work back. Raises Refused for the page to show."""
    command = service.NewRegistration(open_session.id, answers.registration(open_session.asks_about_payment),
                                      source="public")
    try:
        carry_out(service.register, command, ACTOR)
    except Refused as exc:
        if exc.code == "already_registered":
            return
        if exc.code == "not_open":
            abort(404, description="This session is not open for registration any more.")
        raise


@blueprint.route("/<int:session_id>", methods=["GET", "POST"])
def register(session_id: int):
    with db_session() as s:
        _row, open_session = _open_session_or_404(s, session_id)
    if request.method == "GET":
        return _form(open_session, FormAnswers(), {})

    if _over_rate_limit():
        logs.event(log, "registration_rate_limited", session_id=session_id)
        abort(429, description="There have been too many registrations from your connection in the last hour. "
                               "Please try again later, or email us and we will register you.")
    answers = FormAnswers.from_form(request.form)
    if request.form.get(HONEYPOT_FIELD):
        logs.event(log, "registration_honeypot", session_id=session_id)
        return _confirm(session_id, answers)

    try:
        _save(open_session, answers)
    except Refused as exc:
        return _form(open_session, answers, _page_errors(exc, answers)), exc.status
    logs.event(log, "registration_received", session_id=session_id, source="public")
    return _confirm(session_id, answers)


def _form(open_session: OpenSession, answers: FormAnswers, errors: dict[str, str]) -> str:
    return render_template("public/register.html", open_session=open_session, answers=answers, errors=errors,
                           payment_notes=PAYMENT_NOTES)


def _page_errors(refusal: Refused, answers: FormAnswers) -> dict[str, str]:
    """Each refused field's message next to it, named as the page names it."""
    if refusal.code == "session_full":
        return {"session": "Sorry, this session is full. Email us and we will tell you about the next one."}
    problems = refusal.problems if isinstance(refusal, InvalidFields) else {refusal.field: refusal.message}
    errors = {}
    for field, message in problems.items():
        if field == "lower_amount_pence" and not isinstance(answers.lower_amount_pence, int):
            message = NOT_POUNDS  # the service was given their text, which it cannot take as pence
        field = PAGE_FIELDS.get(field, field)
        errors[field] = f"{LABELS.get(field, field)} {message}"
    return errors


def _confirm(session_id: int, answers: FormAnswers):
    """Thank them on the next page by what they typed, kept on the server for a short while:
    the browser's cookie (signed, not encrypted: anyone holding it can read it) carries only the
    session's id and a random handle. What is shown is what they typed, never what we hold about
    the email they typed (that could be someone else's)."""
    handle = secrets.token_urlsafe(32)
    typed = {"session_id": session_id, "first_name": answers.first_name[:64], "email": answers.email[:254],
             "joins_by": answers.joins_by, "until": (runtime.now() + REMEMBER_TYPED).isoformat()}
    try:
        current_redis().set(_typed_key(handle), json.dumps(typed), ex=int(REMEMBER_TYPED.total_seconds()))
    except (RedisError, OSError) as exc:  # the registration stands; the next page thanks them without names
        logs.event(log, "registration_thanks_not_kept", logging.WARNING, error=type(exc).__name__)
    session["registered"] = {"session_id": session_id, "handle": handle}
    return redirect(url_for("public.registered", session_id=session_id), code=303)


def _typed_key(handle: str) -> str:
    return "registered:" + hashlib.sha256(handle.encode()).hexdigest()


def _typed(handle: object, session_id: int) -> dict | None:
    """What was typed for this session's registration in this browser, while it is kept (by the
    app's clock; Redis's own expiry only tidies up)."""
    if not isinstance(handle, str):
        return None
    try:
        raw = current_redis().get(_typed_key(handle))
    except (RedisError, OSError):
        return None
    typed = json.loads(raw) if raw else None
    if not typed or typed.get("session_id") != session_id or \
            datetime.fromisoformat(typed["until"]) <= runtime.now():
        return None
    return typed


@blueprint.get("/<int:session_id>/registered")
def registered(session_id: int):
    mark = session.get("registered")
    if not isinstance(mark, dict) or mark.get("session_id") != session_id:
        return redirect(url_for("public.register", session_id=session_id))
    with db_session() as s:
        _row, open_session = _open_session_or_404(s, session_id)
    return render_template("public/registered.html", open_session=open_session,
                           details=_typed(mark.get("handle"), session_id))
