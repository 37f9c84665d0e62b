"""Errors as JSON `{"error": {"code", "message", "field"?}}`: never a stack trace, never HTML for the API."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict, HTTPException

from zoombridge import logs

log = logging.getLogger("zoombridge.web")


class ApiError(Exception):
    """A refusal a caller can act on: the status, a stable code and, for bad input, the field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid", message, field=field)


def error_response(status: int, code: str, message: str, field: str | None = None):
    body: dict = {"code": code, "message": message}
    if field is not None:  # "" is a real (if odd) field name: an empty JSON key
        body["field"] = field
    return jsonify({"error": body}), status


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/zoom/", "/healthz")) or request.accept_mimetypes.best == "application/json"


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(StaleDataError)
    def _raced(_exc: StaleDataError):
        """Two writers read the same row version and this one came second: refuse, change nothing."""
        logs.event(log, "write_refused_as_stale", path=request.path)
        return current_app.handle_http_exception(Conflict(
            "Someone else changed this at the same moment; nothing was saved. Reload it and try again."))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        logs.event(log, "unhandled_error", logging.ERROR, path=request.path, error=type(exc).__name__)
        log.debug("unhandled error", exc_info=exc)
        if _wants_json():
            return error_response(500, "internal_error", "Something went wrong on our side; nothing was saved.")
        return "Something went wrong on our side; nothing was saved.", 500
