"""CSRF protection for every HTML form: one random token per browser session, checked on POST.

The token lives in Flask's signed, HttpOnly session cookie and is echoed in a hidden field; a
cross-site page can make the browser send the cookie but cannot read the token to put in the
form, so a forged POST is refused. Small enough that a library (Flask-WTF) would add more than it
saves; the comparison is constant-time.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, abort, request, session

SESSION_KEY = "csrf_token"
FIELD_NAME = "csrf_token"
HEADER_NAME = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def current_token() -> str:
    """The token for this browser session, made on first use (templates call it for forms)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def is_valid(submitted: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def check_request() -> None:
    """Refuse an unsafe request whose form (or header) does not carry this session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    submitted = request.form.get(FIELD_NAME) or request.headers.get(HEADER_NAME)
    if not is_valid(submitted):
        abort(400, description="This form has expired or did not come from this site. "
                               "Go back, reload the page and send it again.")


def protect(blueprint: Blueprint) -> Blueprint:
    """Check the token on every unsafe request the blueprint serves."""
    blueprint.before_request(check_request)
    return blueprint
