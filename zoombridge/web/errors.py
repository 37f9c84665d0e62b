"""One error handler: a refusal becomes a JSON error `{"error": {"code", "message", "field"?}}` with
the status of its kind for the API, or a page in the site's layout; anything unexpected is a 500
that says nothing was saved, logged at ERROR with a scrubbed traceback. Never a stack trace to
the caller, never HTML for the API.

Pages that show a refusal next to its field catch `Refused` themselves (they know the form to
show again); one that escapes a page view is shown as an error page with the refusal's message.
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, jsonify, render_template, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from zoombridge import logs
from zoombridge.privacy import scrub
from zoombridge.refusals import Refused, kind_for_status
from zoombridge.refusals import invalid as invalid

log = logging.getLogger(__name__)
NOTHING_SAVED = "Something went wrong on our side; nothing was saved."


class ApiError(Refused):
    """A refusal named by its HTTP status (the older spelling of `Refused`, kept for callers)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(field, message, kind_for_status(status), code=code)


def error_response(status: int, code: str, message: str, field: str | None = None):
    body: dict = {"code": code, "message": message}
    if field is not None:  # "" is a real (if odd) field name: an empty JSON key
        body["field"] = field
    return jsonify({"error": body}), status


def refusal_response(exc: Refused):
    return error_response(exc.status, exc.code, exc.message, exc.field)


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/zoom/", "/healthz")) or request.accept_mimetypes.best == "application/json"


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback without locals, its messages and code lines masked (`privacy.scrub`)."""
    return scrub("".join(traceback.TracebackException.from_exception(exc, capture_locals=False).format()))


def register(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(exc: Refused):
        if _wants_json():
            return refusal_response(exc)
        return render_template("error.html", heading="Please try again", message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        body, status = error_response(exc.code or 500, code, exc.description or exc.name)
        # Keep what the exception says beyond its body: a 405's `Allow` (RFC 9110), a 413's
        # `Connection: close` (found missing by schemathesis' allow-header check).
        body.headers.extend((name, value) for name, value in exc.get_headers() if name.lower() != "content-type")
        return body, status

    @app.errorhandler(StaleDataError)
    def _raced(_exc: StaleDataError):
        """Two writers read the same row version and this one came second: refuse, change nothing."""
        logs.event(log, "write_refused_as_stale", path=scrub(request.path))
        return _refused(Refused(None, "Someone else changed this at the same moment; nothing was saved. "
                                      "Reload it and try again.", "conflict"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        logs.event(log, "unhandled_error", logging.ERROR, method=request.method, path=scrub(request.path),
                   error=type(exc).__name__)
        log.error("Traceback of the unhandled error above (scrubbed):\n%s", scrubbed_traceback(exc))
        if _wants_json():
            return error_response(500, "internal_error", NOTHING_SAVED)
        return NOTHING_SAVED, 500
