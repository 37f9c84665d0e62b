"""The stand-in's Flask app: Zoom's REST endpoints that zoombridge uses, its OAuth token
endpoint, a fault switch and a few `/_sandbox/` controls for the meeting player.

Every `/v2` request body is checked against the spec subset and refused as Zoom refuses it
(400, code 300, `errors: [{field, message}]`). With `check_responses=True` (the tests) every
2xx answer is checked against the spec's response schema too, and a mismatch becomes a 500,
so the stand-in cannot drift from the real API unnoticed.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from urllib.parse import unquote

from flask import Flask, Response, g, jsonify, request

from zoombridge.clock import Clock
from zoombridge.logs import event
from zoombridge.sandbox import STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
from zoombridge.sandbox.faults import FaultSwitch
from zoombridge.sandbox.spec import zoom_spec
from zoombridge.sandbox.state import StandinError, StandinState

log = logging.getLogger(__name__)

STATE_KEY = "zoombridge.sandbox.state"
FAULTS_KEY = "zoombridge.sandbox.faults"


def _state() -> StandinState:
    from flask import current_app

    return current_app.extensions[STATE_KEY]


def _zoom_error(status: int, code: int, message: str, errors: list | None = None, headers: dict | None = None):
    body = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return client_id, secret


def _meeting_id(raw: str) -> str:
    """Meeting id or instance UUID from the path. The server decoded the path once; a
    double-encoded UUID still carries one layer of percent-encoding."""
    return unquote(raw) if "%" in raw else raw


# (method, Zoom path template) -> Flask view name; filled by `api`.
API_TEMPLATES: dict[str, str] = {}


def create_standin_app(state: StandinState | None = None, *, clock: Clock | None = None,
                       check_responses: bool = False, sleep: Callable[[float], None] = time.sleep) -> Flask:
    """The stand-in, with its state in memory. Serve it with `zoombridge sandbox serve`."""
    from zoombridge.sandbox import staff_oauth

    app = Flask("zoombridge.sandbox")
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=1024 * 1024)
    app.json.sort_keys = False
    app.extensions[STATE_KEY] = state or StandinState(clock=clock)
    app.extensions[FAULTS_KEY] = FaultSwitch()
    spec = zoom_spec()

    def api(method: str, template: str):
        """Route a Zoom path template (`/meetings/{meetingId}`) under /v2."""
        rule = "/v2" + template.replace("{meetingId}", "<path:meetingId>").replace("{", "<").replace("}", ">")

        def register(view):
            endpoint = f"{method.lower()}:{template}"
            API_TEMPLATES[endpoint] = template
            app.add_url_rule(rule, endpoint, view, methods=[method])
            return view

        return register

    @app.errorhandler(StandinError)
    def standin_error(exc: StandinError):
        return _zoom_error(exc.status, exc.code, exc.message, exc.errors, exc.headers)

    @app.errorhandler(404)
    def not_found(_exc):
        return _zoom_error(404, 404, "No such endpoint in the Zoom stand-in.")

    @app.errorhandler(405)
    def not_allowed(_exc):
        return _zoom_error(405, 405, "Method not allowed.")

    @app.before_request
    def before() -> Response | None:
        state = _state()
        state.base_url = request.host_url.rstrip("/")
        if not request.path.startswith(("/v2/", "/oauth/token")):
            return None
        fault = app.extensions[FAULTS_KEY].take(request.method, request.path)
        if fault is not None:
            event(log, "standin_fault", kind=fault.kind, method=request.method,
                  operation=API_TEMPLATES.get(request.endpoint or "", request.endpoint))
            answer = fault.response()
            if answer is None:
                sleep(fault.delay_seconds)
            else:
                status, headers, body = answer
                return _zoom_error(status, body["code"], body["message"], headers=headers)
        if not request.path.startswith("/v2/"):
            return None
        claims = state.token_claims(request.headers.get("Authorization", "").removeprefix("Bearer ").strip())
        if claims is None:
            return _zoom_error(401, 124, "Invalid access token.")
        g.token_claims = claims
        template = API_TEMPLATES.get(request.endpoint or "")
        if claims["kind"] == "staff" and template != "/users/{userId}":
            return _zoom_error(400, 4711, "Invalid access token, does not contain scopes:[meeting:write:admin].")
        if template is None:
            return None
        body = None
        if request.method in ("POST", "PATCH", "PUT"):
            body = request.get_json(silent=True)
            if body is None and request.get_data():
                return _zoom_error(400, 300, "Request Body should be a valid JSON object.")
        if request.method in ("POST", "PATCH", "PUT") or body is not None:
            problems = spec.request_errors(request.method, template, body, dict(request.args))
            if problems:
                event(log, "standin_refused_body", method=request.method, operation=template, problems=len(problems))
                return _zoom_error(400, 300, "Validation Failed.",
                                   [{"field": p.split(":", 1)[0], "message": p.split(":", 1)[1].strip()}
                                    for p in problems])
        return None

    if check_responses:
        @app.after_request
        def check(response: Response) -> Response:
            template = API_TEMPLATES.get(request.endpoint or "")
            if template is None or not 200 <= response.status_code < 300:
                return response
            body = response.get_json(silent=True) if response.data else None
            problems = spec.response_errors(request.method, template, response.status_code, body)
            if problems:
                return _zoom_error(500, 500, "stand-in answer does not match the spec: " + "; ".join(problems[:5]))
            return response

    # --- OAuth ---------------------------------------------------------------------------------

    @app.post("/oauth/token")
    def token():
        grant = request.values.get("grant_type")
        if grant == "account_credentials":
            if _basic_credentials() != (STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET):
                return jsonify({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}), 401
            if request.values.get("account_id") != STANDIN_ACCOUNT_ID:
                return jsonify({"reason": "Invalid account_id", "error": "invalid_request"}), 400
            answer = _state().issue_token("s2s")
            answer.update(scope="meeting:read:admin meeting:write:admin report:read:admin user:read:admin "
                                "user:write:admin", api_url=request.host_url.rstrip("/"))
            return jsonify(answer)
        return staff_oauth.token_for_grant(grant)

    staff_oauth.register(app, api)

    # --- meetings ------------------------------------------------------------------------------

    @api("POST", "/users/{userId}/meetings")
    def create_meeting(userId):
        return jsonify(_state().create_meeting(_s2s_user(userId), request.get_json())), 201

    @api("GET", "/users/{userId}/meetings")
    def list_meetings(userId):
        meetings = _state().list_meetings(_s2s_user(userId), request.args.get("type", "scheduled"))
        page, fields = _state().page(meetings, request.args.get("page_size"), request.args.get("next_page_token"))
        return jsonify({**fields, "meetings": page})

    @api("GET", "/meetings/{meetingId}")
    def get_meeting(meetingId):
        return jsonify(_state().get_meeting(_meeting_id(meetingId), request.args.get("occurrence_id")))

    @api("PATCH", "/meetings/{meetingId}")
    def update_meeting(meetingId):
        _state().update_meeting(_meeting_id(meetingId), request.get_json(), request.args.get("occurrence_id"))
        return "", 204

    @api("DELETE", "/meetings/{meetingId}")
    def delete_meeting(meetingId):
        _state().delete_meeting(_meeting_id(meetingId), request.args.get("occurrence_id"))
        return "", 204

    # --- registrants ---------------------------------------------------------------------------

    @api("POST", "/meetings/{meetingId}/registrants")
    def add_registrant(meetingId):
        occurrence_ids = [o for o in request.args.get("occurrence_ids", "").split(",") if o]
        return jsonify(_state().add_registrant(_meeting_id(meetingId), request.get_json(), occurrence_ids)), 201

    @api("GET", "/meetings/{meetingId}/registrants")
    def list_registrants(meetingId):
        rows = _state().list_registrants(_meeting_id(meetingId), request.args.get("status", "approved"))
        page, fields = _state().page(rows, request.args.get("page_size"), request.args.get("next_page_token"))
        return jsonify({**fields, "registrants": page})

    @api("GET", "/meetings/{meetingId}/registrants/{registrantId}")
    def get_registrant(meetingId, registrantId):
        return jsonify(_state().get_registrant(_meeting_id(meetingId), registrantId))

    @api("PUT", "/meetings/{meetingId}/registrants/status")
    def registrant_status(meetingId):
        body = request.get_json()
        _state().update_registrant_status(_meeting_id(meetingId), body["action"], body.get("registrants") or [])
        return "", 204

    # --- polls, captions, user settings --------------------------------------------------------

    @api("GET", "/meetings/{meetingId}/polls")
    def list_polls(meetingId):
        polls = _state().list_polls(_meeting_id(meetingId))
        return jsonify({"total_records": len(polls), "polls": polls})

    @api("POST", "/meetings/{meetingId}/polls")
    def create_poll(meetingId):
        return jsonify(_state().create_poll(_meeting_id(meetingId), request.get_json())), 201

    @api("GET", "/meetings/{meetingId}/token")
    def meeting_token(meetingId):
        kind = request.args.get("type", "closed_caption_token")
        if kind != "closed_caption_token":
            raise StandinError(400, 300, f"The stand-in only issues closed_caption_token, not {kind}.")
        return jsonify({"token": _state().caption_token_url(_meeting_id(meetingId))})

    @api("GET", "/users/{userId}/settings")
    def get_user_settings(userId):
        return jsonify(_state().get_user_settings(_s2s_user(userId)))

    @api("PATCH", "/users/{userId}/settings")
    def update_user_settings(userId):
        _state().update_user_settings(_s2s_user(userId), request.get_json())
        return "", 204

    # --- after the meeting ---------------------------------------------------------------------

    @api("GET", "/past_meetings/{meetingId}/instances")
    def past_instances(meetingId):
        return jsonify({"meetings": _state().past_instances(_meeting_id(meetingId))})

    @api("GET", "/report/meetings/{meetingId}/participants")
    def report_participants(meetingId):
        rows = _state().report_rows(_meeting_id(meetingId))
        if "registrant_id" not in request.args.get("include_fields", ""):
            for row in rows:
                row.pop("registrant_id", None)
        page, fields = _state().page(rows, request.args.get("page_size"), request.args.get("next_page_token"))
        return jsonify({**fields, "participants": page})

    from zoombridge.sandbox.controls import register_controls

    register_controls(app)
    return app


def _s2s_user(user_id: str) -> str:
    """Server-to-Server apps must name the user: `me` means nobody (docs/zoom.md §1)."""
    if user_id == "me":
        raise StandinError(404, 1001, "User does not exist: me. Server-to-Server apps must give a user id or email.")
    return user_id
