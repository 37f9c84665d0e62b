"""Zoom's user OAuth, just enough for staff sign-in against the stand-in.

`GET /oauth/authorize` redirects straight back with a code (there is no password page: the
stand-in is for development; `login_hint=<email>` chooses who signs in, default
`staff@example.org`), `POST /oauth/token` swaps the code (or a refresh token) for a user token,
and `GET /v2/users/me` says who that is. The client id and secret are the stand-in's fixed
development ones (`zoombridge.sandbox.STANDIN_CLIENT_ID` / `STANDIN_CLIENT_SECRET`).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from flask import Flask, g, jsonify, redirect, request

from zoombridge.sandbox import STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
from zoombridge.sandbox.state import StandinError

DEFAULT_STAFF_EMAIL = "staff@example.org"
CODE_LIFETIME = timedelta(minutes=5)


def _state():
    from zoombridge.sandbox.app import _state

    return _state()


def _client_ok() -> bool:
    from zoombridge.sandbox.app import _basic_credentials

    basic = _basic_credentials()
    if basic is None:  # client_secret_post
        basic = (request.values.get("client_id"), request.values.get("client_secret"))
    return basic == (STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET)


def _invalid(error: str, reason: str, status: int = 400):
    return jsonify({"reason": reason, "error": error}), status


def token_for_grant(grant: str | None):
    """`POST /oauth/token` for the user grants (the S2S grant is handled by the app)."""
    state = _state()
    if grant not in ("authorization_code", "refresh_token"):
        return _invalid("unsupported_grant_type", "Unsupported grant type")
    if not _client_ok():
        return _invalid("invalid_client", "Invalid client_id or client_secret", 401)
    with state.lock:
        if grant == "authorization_code":
            code = state.auth_codes.pop(request.values.get("code", ""), None)
            if code is None or code["kind"] != "code" or code["expires_at"] < state.clock.now():
                return _invalid("invalid_grant", "Invalid authorization code")
            if code["redirect_uri"] != request.values.get("redirect_uri"):
                return _invalid("invalid_grant", "Redirect URI mismatch")
        else:
            code = state.auth_codes.get(request.values.get("refresh_token", ""))
            if code is None or code["kind"] != "refresh":
                return _invalid("invalid_grant", "Invalid Token!")
        refresh = secrets.token_urlsafe(32)
        state.auth_codes[refresh] = {"kind": "refresh", "email": code["email"]}
    answer = state.issue_token("staff", email=code["email"])
    answer.update(refresh_token=refresh, scope="user:read")
    return jsonify(answer)


def register(app: Flask, api) -> None:
    @app.get("/oauth/authorize")
    def authorize():
        if request.args.get("client_id") != STANDIN_CLIENT_ID:
            return _invalid("invalid_client", "Invalid client_id")
        if request.args.get("response_type") != "code" or not request.args.get("redirect_uri"):
            return _invalid("invalid_request", "response_type=code and redirect_uri are required")
        state = _state()
        email = request.args.get("login_hint") or DEFAULT_STAFF_EMAIL
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.auth_codes[code] = {"kind": "code", "email": email, "redirect_uri": request.args["redirect_uri"],
                                      "expires_at": state.clock.now() + CODE_LIFETIME}
        query = {"code": code}
        if request.args.get("state"):
            query["state"] = request.args["state"]
        separator = "&" if "?" in request.args["redirect_uri"] else "?"
        return redirect(request.args["redirect_uri"] + separator + urlencode(query), code=302)

    @api("GET", "/users/{userId}")
    def get_user(userId):
        claims = g.token_claims
        if userId == "me":
            if claims["kind"] != "staff":
                raise StandinError(404, 1001, "User does not exist: me.")
            return jsonify(_state().user(claims["email"]))
        return jsonify(_state().user(userId))
