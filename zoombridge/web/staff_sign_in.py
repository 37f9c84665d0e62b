""""Sign in with Zoom" for staff: Zoom user OAuth (authorize, token, `GET /users/me`).

Who gets in: a Zoom user of the configured account (`ZOOM_ACCOUNT_ID`; with the stand-in, any
account, since the stand-in is development only) whose email is on the staff list
(`zoombridge.staff_members`). The browser keeps only a random sign-in id in the signed, HttpOnly
(and in production Secure) session cookie; the sign-in itself lives in Redis, so signing out, or
removing someone, ends it on the server and not just in that browser.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from zoombridge import logs, runtime, staff_members
from zoombridge.privacy import mask_email
from zoombridge.queue.connection import current_redis
from zoombridge.sandbox import STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
from zoombridge.store import db_session
from zoombridge.web import csrf, layout
from zoombridge.web.input_guards import local_path

log = logging.getLogger(__name__)
blueprint = layout.html_errors(csrf.protect(Blueprint("staff_sign_in", __name__, url_prefix="/staff")))

OAUTH_KEY = "zoombridge.staff_oauth"
SESSION_KEY = "staff_sign_in"
SIGN_IN_LIFETIME = timedelta(hours=12)


def init_app(app: Flask) -> None:
    """Register the Zoom OAuth client for this app's settings (the blueprint is registered by
    `web.register_pages`)."""
    settings = app.config["ZOOMBRIDGE_SETTINGS"]
    oauth = OAuth(app, cache=OAuthStateInRedis())
    oauth_base = settings.zoom_oauth_base.rstrip("/")
    oauth.register(
        "zoom",
        client_id=settings.zoom_signin_client_id or STANDIN_CLIENT_ID,
        client_secret=settings.zoom_signin_client_secret or STANDIN_CLIENT_SECRET,
        authorize_url=f"{oauth_base}/oauth/authorize",
        access_token_url=f"{oauth_base}/oauth/token",
        api_base_url=settings.zoom_api_base.rstrip("/") + "/",
        client_kwargs={"token_endpoint_auth_method": "client_secret_basic",
                       "code_challenge_method": "S256", "timeout": 10},
    )
    app.extensions[OAUTH_KEY] = oauth
    app.permanent_session_lifetime = SIGN_IN_LIFETIME


class OAuthStateInRedis:
    """Where authlib keeps a sign-in's OAuth state (the PKCE verifier, the authorize address with
    its login hint, which is an email with the stand-in): on the server, in Redis for as long as
    authlib asks (an hour), so the readable session cookie carries only the state's expiry."""

    PREFIX = "staff-oauth-state:"

    def get(self, key: str):
        return current_redis().get(self.PREFIX + key)

    def set(self, key: str, value: str, expires_in: int | None = None) -> None:
        current_redis().set(self.PREFIX + key, value, ex=int(expires_in or 3600))

    def delete(self, key: str) -> None:
        current_redis().delete(self.PREFIX + key)


def _zoom():
    return current_app.extensions[OAUTH_KEY].zoom


def _sign_in_key(sign_in_id: str) -> str:
    return f"staff-sign-in:{sign_in_id}"


def _safe_next(target: str | None) -> str:
    """Only a path inside the staff pages: never an open redirect, never a header split (CR/LF)."""
    return local_path(target, "/staff") or (
        url_for("staff_pages.sessions") if "staff_pages" in current_app.blueprints else "/staff/")


def current_staff() -> dict | None:
    """The signed-in staff member ({"email", "name", "person_id"}), or None.

    The sign-in in Redis says who signed in; the staff list says whether they may still act. Both
    are checked on every request, so `zoombridge staff remove` ends a sign-in at once (the sign-in
    is deleted on the first request after), not when it would have expired.
    """
    if "staff" in g:
        return g.staff
    sign_in_id = session.get(SESSION_KEY)
    staff = None
    if sign_in_id:
        raw = current_redis().get(_sign_in_key(sign_in_id))
        if raw:
            staff = json.loads(raw)
            # Judged by the app's clock (Redis's own expiry, by the machine's, only tidies up).
            expired = datetime.fromisoformat(staff.pop("expires_at", "1970-01-01T00:00:00+00:00")) <= runtime.now()
            if expired or not _still_on_staff_list(staff):
                current_redis().delete(_sign_in_key(sign_in_id))
                session.pop(SESSION_KEY, None)
                logs.event(log, "staff_sign_in_ended", reason="expired" if expired else "not_on_staff_list",
                           email=mask_email(staff["email"]))
                staff = None
    g.staff = staff
    return staff


def _still_on_staff_list(staff: dict) -> bool:
    with db_session() as s:
        person = staff_members.find(s, staff.get("email"))
        return person is not None and person.id == staff.get("person_id")


def guard_blueprint(bp: Blueprint) -> None:
    """Every view of `bp` needs a signed-in staff member."""
    @bp.before_request
    def _require_staff():
        if current_staff() is None:
            return redirect(url_for("staff_sign_in.sign_in_page", next=request.full_path.rstrip("?")))
        return None


@blueprint.get("/sign-in")
def sign_in_page():
    if current_staff() is not None:
        return redirect(_safe_next(request.args.get("next")))
    response = make_response(render_template("staff/sign_in.html", next=request.args.get("next", ""),
                                             standin=runtime.settings().uses_zoom_standin))
    return _allow_form_to_zoom(response)


def _allow_form_to_zoom(response):
    """The sign-in form's answer redirects to Zoom's authorize page: let the browser follow it."""
    parts = urlsplit(runtime.settings().zoom_oauth_base)
    response.headers["Content-Security-Policy"] = layout.CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return response


@blueprint.get("/sign-in/zoom")
def start_zoom_sign_in():
    session["sign_in_next"] = _safe_next(request.args.get("next"))
    settings = runtime.settings()
    redirect_uri = settings.public_base_url.rstrip("/") + url_for("staff_sign_in.zoom_callback")
    extra = {}
    if settings.uses_zoom_standin and request.args.get("login_hint"):
        extra["login_hint"] = request.args["login_hint"]  # the stand-in signs in whoever is named
    return _zoom().authorize_redirect(redirect_uri, **extra)


def _refuse(message: str, status: int = 403):
    response = make_response(render_template("staff/sign_in.html", refusal=message, next="",
                                             standin=runtime.settings().uses_zoom_standin), status)
    return _allow_form_to_zoom(response)


@blueprint.get("/sign-in/callback")
def zoom_callback():
    if request.args.get("error"):
        return _refuse("Sign-in was cancelled in Zoom. You can try again.", 400)
    try:
        token = _zoom().authorize_access_token()
        response = _zoom().get("users/me", token=token)
        response.raise_for_status()
        user = response.json()
    except Exception as exc:  # any OAuth or HTTP failure: the person just tries again
        logs.event(log, "staff_sign_in_failed", logging.WARNING, error=type(exc).__name__)
        return _refuse("Zoom did not confirm who you are. Please try signing in again.", 400)

    settings = runtime.settings()
    email = str(user.get("email") or "")
    if settings.zoom_account_id and user.get("account_id") != settings.zoom_account_id:
        logs.event(log, "staff_sign_in_refused", reason="other_account", email=mask_email(email))
        return _refuse("That Zoom account does not belong to the organisation.")
    if user.get("status", "active") != "active":
        return _refuse("That Zoom user is not active.")
    with db_session() as s:
        person = staff_members.find(s, email)
        staff = None if person is None else {
            "email": person.email, "name": person.first_name, "person_id": person.id,
            "zoom_user_id": str(user.get("id") or ""),
        }
    if staff is None:
        logs.event(log, "staff_sign_in_refused", reason="not_staff", email=mask_email(email))
        return _refuse(f"{email or 'That Zoom user'} is not on the staff list. Ask a colleague to add you "
                       "with 'zoombridge staff add'.")

    next_url = session.get("sign_in_next") or _safe_next(None)
    session.clear()  # a fresh session (and CSRF token) after sign-in: no fixation
    sign_in_id = secrets.token_urlsafe(32)
    staff["expires_at"] = (runtime.now() + SIGN_IN_LIFETIME).isoformat()
    current_redis().set(_sign_in_key(sign_in_id), json.dumps(staff), ex=int(SIGN_IN_LIFETIME.total_seconds()))
    session[SESSION_KEY] = sign_in_id
    session.permanent = True
    logs.event(log, "staff_signed_in", email=mask_email(staff["email"]))
    flash("You are signed in.", "success")  # flashes live in the cookie: no names there
    return redirect(_safe_next(next_url))


@blueprint.post("/sign-out")
def sign_out():
    sign_in_id = session.get(SESSION_KEY)
    if sign_in_id:
        current_redis().delete(_sign_in_key(sign_in_id))
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("staff_sign_in.sign_in_page"))

