"""The staff JSON API under `/api/v1`: every call needs `Authorization: Bearer <token>`.

`api_v1(...)` makes the parent blueprint: the token is checked here, once, before any view of
the blueprints nested in it (sessions, breakout plans, live attendance, payments).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, g, jsonify, request
from pydantic import BaseModel

from zoombridge import runtime, staff_tokens
from zoombridge.store import db_session
from zoombridge.web import openapi
from zoombridge.web.errors import ApiError


def api_v1(*children: Blueprint) -> Blueprint:
    """The `/api/v1` parent with its children nested (made per app, so each app has its own)."""
    parent = Blueprint("staff_api", __name__, url_prefix="/api/v1")
    parent.before_request(require_staff_token)
    parent.add_url_rule("/whoami", view_func=whoami, methods=["GET"])
    for child in children:
        parent.register_blueprint(child)
    return parent


def require_staff_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not hmac.compare_digest(scheme.lower().encode(), b"bearer") or not token.strip():
        raise ApiError(401, "unauthorised", "Send a staff token as 'Authorization: Bearer <token>'.")
    with db_session() as s:
        found = staff_tokens.find(s, token.strip(), runtime.now())
        if found is None:
            raise ApiError(401, "unauthorised", "That staff token is not valid (revoked, expired, or never issued).")
        found.last_used_at = runtime.now()
        g.staff_name = found.name


class WhoAmI(BaseModel):
    staff: str


@openapi.operation(responses={200: WhoAmI})
def whoami():
    """Whose staff token this is."""
    return jsonify({"staff": g.staff_name})
