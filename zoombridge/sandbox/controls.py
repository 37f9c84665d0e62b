"""The stand-in's own controls under `/_sandbox/` (not Zoom's API), and the join pages.

The meeting player reads a meeting's registrants here and records what it played, so the
report endpoint can serve the matching participant report; rehearsals arm faults here.
These answer on loopback only, like the rest of the stand-in, and need no token.
"""

from __future__ import annotations

from html import escape

from flask import Flask, jsonify, request

from zoombridge.sandbox import STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
from zoombridge.sandbox.state import StandinError


def register_controls(app: Flask) -> None:
    from zoombridge.sandbox.app import FAULTS_KEY, _state

    @app.get("/_sandbox/")
    def about():
        base = request.host_url.rstrip("/")
        return jsonify({"what": "zoombridge Zoom stand-in", "api_base": base + "/v2", "oauth_base": base,
                        "account_id": STANDIN_ACCOUNT_ID, "client_id": STANDIN_CLIENT_ID,
                        "client_secret": STANDIN_CLIENT_SECRET, "faults": app.extensions[FAULTS_KEY].armed()})

    @app.post("/_sandbox/faults")
    def arm_fault():
        body = request.get_json(silent=True) or {}
        allowed = {"times", "status", "code", "message", "retry_after", "delay_seconds", "method", "path_prefix"}
        try:
            fault = app.extensions[FAULTS_KEY].arm(body.get("kind", ""),
                                                   **{k: v for k, v in body.items() if k in allowed})
        except (TypeError, ValueError) as exc:
            raise StandinError(400, 300, str(exc)) from exc
        return jsonify(dict(vars(fault))), 201

    @app.delete("/_sandbox/faults")
    def clear_faults():
        app.extensions[FAULTS_KEY].clear()
        return "", 204

    @app.post("/_sandbox/tokens/revoke")
    def revoke_tokens():
        _state().revoke_tokens()
        return "", 204

    @app.get("/_sandbox/meetings/<int:meeting_id>")
    def meeting_for_player(meeting_id: int):
        state = _state()
        meeting = state.get_meeting(meeting_id)
        return jsonify({"meeting": meeting, "registrants": state.list_registrants(meeting_id, "approved")})

    @app.post("/_sandbox/meetings/<int:meeting_id>/status")
    def meeting_status(meeting_id: int):
        status = (request.get_json(silent=True) or {}).get("status")
        if status not in ("waiting", "started"):
            raise StandinError(400, 300, "status must be waiting or started")
        _state().set_status(meeting_id, status)
        return "", 204

    @app.post("/_sandbox/meetings/<int:meeting_id>/instances")
    def record_instance(meeting_id: int):
        instance = request.get_json(silent=True) or {}
        if not {"uuid", "start_time", "participants"} <= instance.keys():
            raise StandinError(400, 300, "an instance needs uuid, start_time and participants")
        _state().record_instance(meeting_id, instance)
        return "", 204

    @app.get("/w/<int:meeting_id>")
    @app.get("/j/<int:meeting_id>")
    def join_page(meeting_id: int):
        state = _state()
        found = state.registrant_by_token(meeting_id, request.args.get("tk", ""))
        meeting = found[0] if found else state.get_meeting(meeting_id)
        who = f" as {escape(found[1]['first_name'])}" if found else ""
        return (f"<!doctype html><html lang=en><title>Zoom stand-in</title><main><h1>Zoom stand-in</h1>"
                f"<p>Here you would join <strong>{escape(meeting['topic'])}</strong> (meeting {meeting_id}){who}."
                f"</p><p>This is the local stand-in for Zoom used in development.</p></main></html>")
