"""What a request brings in, checked once for every route: ids in paths, whole numbers in query
strings and forms, JSON bodies, and where a redirect may go.

Each guard is the one place its kind of input is read, so a new route gets it by using the
route converter or the function, not by remembering a check:

- `<int:...>` in any route is `IdConverter`: ASCII digits only; a value outside 1..2**63-1 is
  answered 404 naming the path field (`session_id`) before the view runs, instead of overflowing
  the database driver (a 500).
- `query_whole` / `form_whole`: whole numbers from the query string or a form, within bounds,
  refused with 400 naming the parameter.
- JSON bodies go through `JsonProvider`, which reads them with `zoombridge.json_limits`: too deep,
  too large a number, `Infinity`/`NaN` → 400 naming the field.
- Query-string and form values holding NUL are refused (400 naming the field) before any view.
- `local_path`: a redirect target that stays on this site under a given prefix and carries no
  control characters (a CR/LF in `next=` would otherwise reach the Location header).
- `BodyLimit`: a body must arrive within `ZOOMBRIDGE_BODY_READ_SECONDS` (a client trickling one would otherwise
  hold a server thread as long as it liked), and a body sent without Content-Length (chunked)
  is read at the WSGI edge up to the limit and answered 413 past it. Werkzeug's own limit on such streams stops reading at exactly
  the limit and hands the view a cut-off body, so a 2 MiB webhook failed its signature (401) and
  a long JSON body failed to parse (400) instead of being refused as too large.
"""

from __future__ import annotations

import io
import json
import time
from urllib.parse import urlsplit

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import BaseConverter

from zoombridge import json_limits
from zoombridge.json_limits import LARGEST_INTEGER, JsonRefused, storable_text
from zoombridge.web.errors import ApiError, invalid

MAX_DIGITS = 19


class IdConverter(BaseConverter):
    """`<int:name>`: a row id. ASCII digits only (`\\d` would take Arabic-Indic digits too)."""

    regex = r"[0-9]+"
    weight = 50

    def to_python(self, value: str) -> int:
        # Past 19 digits it cannot be an id; don't let int() chew on 10,000 of them.
        digits = value.lstrip("0") or "0"
        return int(digits) if len(digits) <= MAX_DIGITS else LARGEST_INTEGER + 1

    def to_url(self, value) -> str:
        return str(int(value))


def whole_number(raw: str | None, lowest: int = 0, highest: int = LARGEST_INTEGER) -> int | None:
    """'42' → 42 when within bounds; None for anything else (signs, spaces, other digits, too long)."""
    if raw is None or not raw.isascii() or not raw.isdigit():
        return None
    digits = raw.lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        return None
    value = int(digits)
    return value if lowest <= value <= highest else None


def query_whole(name: str, default: int | None = None, lowest: int = 1, highest: int = LARGEST_INTEGER) -> int | None:
    """A whole-number query parameter, `default` when absent; 400 naming it when it is not one."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw, lowest, highest)
    if value is None:
        raise invalid(name, f"{name} must be a whole number from {lowest} to {highest}.")
    return value


FLAG_WORDS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def query_flag(name: str) -> bool:
    """A yes/no query parameter (`?unmatched=1`): 1, true, yes or 0, false, no; left out is no.
    Anything else is 400 naming it, rather than silently read as no."""
    raw = request.args.get(name)
    if raw is None:
        return False
    if raw not in FLAG_WORDS:
        raise invalid(name, f"{name} must be 1, true or yes, or 0, false or no.")
    return FLAG_WORDS[raw]


def query_ids(name: str) -> list[int]:
    """Every value of a repeated id parameter (`?session_id=1&session_id=2`); 400 naming it if one is bad."""
    values = []
    for raw in request.args.getlist(name):
        value = whole_number(raw, 1)
        if value is None:
            raise invalid(name, f"{name} must be an id (a whole number).")
        values.append(value)
    return values


def form_whole(name: str, lowest: int = 0, highest: int = LARGEST_INTEGER) -> int | None:
    """A whole number typed in a form field, or None when it is empty or not one."""
    return whole_number(request.form.get(name, "").strip(), lowest, highest)


def local_path(target: str | None, prefix: str = "/") -> str | None:
    """`target` if it is a path on this site under `prefix` that is safe to redirect to, else None."""
    if not target or len(target) > 2000 or not target.startswith(prefix) or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies read within `json_limits` (400 naming the field)."""

    def loads(self, s, **kwargs):
        try:
            return json_limits.loads(s)
        except JsonRefused as exc:
            raise invalid(exc.field, exc.message) from exc


def _ids_in_range(endpoint: str | None, values: dict | None) -> None:
    """Every `<int:...>` value of the matched route is an id a database can hold."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and value > LARGEST_INTEGER:
            message = f"There is no {name.removesuffix('_id').replace('_', ' ')} with that id."
            if request.path.startswith(("/api/", "/zoom/")):
                raise ApiError(404, "not_found", message, field=name)
            raise NotFound(description=message)




class DeadlineInput:
    """`wsgi.input` that gives up when the body has not arrived by `deadline` (monotonic seconds).

    Each read waits on the client's socket for at most the time left, then raises `TimeoutError`
    (werkzeug answers that as a client that went away), so a client trickling its body frees its
    thread after `ZOOMBRIDGE_BODY_READ_SECONDS` instead of holding it for as long as it likes.
    """

    def __init__(self, stream, sock, deadline: float):
        self._stream, self._sock, self._deadline = stream, sock, deadline

    def _wait_at_most(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request body did not arrive in time")
        self._sock.settimeout(left)

    def read(self, size: int = -1) -> bytes:
        self._wait_at_most()
        return self._stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        self._wait_at_most()
        return self._stream.readline(size)

    def __iter__(self):
        while line := self.readline():
            yield line


class BodyLimit:
    """WSGI middleware for request bodies: a deadline for them to arrive, and chunked ones read
    here, within `limit`, then given a length (413 past the limit, 408 past the deadline)."""

    def __init__(self, wsgi_app, limit: int, seconds: int):
        self.wsgi_app, self.limit, self.seconds = wsgi_app, limit, seconds

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        sock = environ.get("gunicorn.socket")
        if sock is not None and (chunked or environ.get("CONTENT_LENGTH", "0") not in ("", "0")):
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], sock, time.monotonic() + self.seconds)
        if chunked and not environ.get("CONTENT_LENGTH"):
            try:
                body = environ["wsgi.input"].read(self.limit + 1)
            except OSError:
                return self._refuse(environ, start_response, "408 Request Timeout", "request_timeout",
                                    f"The body did not arrive within {self.seconds} seconds.")
            if len(body) > self.limit:
                self._drain(environ["wsgi.input"])
                return self._refuse(environ, start_response, "413 Request Entity Too Large", "request_entity_too_large",
                                    f"The body is larger than {self.limit // 1024} KiB.")
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)

    def _drain(self, stream) -> None:
        """Read (and drop) what more the client sends, up to 8 × the limit and within the body's
        deadline: closing on unread data makes the kernel reset the connection, and the client
        would see a broken pipe instead of the 413."""
        left = 8 * self.limit
        try:
            while left > 0 and (chunk := stream.read(min(65536, left))):
                left -= len(chunk)
        except OSError:
            pass

    @staticmethod
    def _refuse(environ, start_response, status: str, code: str, message: str):
        if environ.get("PATH_INFO", "").startswith(("/api/", "/zoom/")):
            body, kind = json.dumps({"error": {"code": code, "message": message}}), "application/json"
        else:
            body, kind = message, "text/plain; charset=utf-8"
        data = body.encode()
        # The rest of the body is not read: close the connection rather than reuse it.
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data))), ("Connection", "close")])
        return [data]


def _storable_parameters() -> None:
    """Query-string and form values a database can store: no NUL (PostgreSQL refuses it mid-query)."""
    sources = [request.args]
    # The public registration form checks each of its fields itself and shows the problem next to
    # the field (its hypothesis fuzz holds it to that); every other form is guarded here.
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and \
            not request.path.startswith("/register/"):
        sources.append(request.form)
    for source in sources:
        for name, values in source.lists():
            if not storable_text(name) or not all(storable_text(value) for value in values):
                message = "The value holds a NUL character."
                if request.path.startswith(("/api/", "/zoom/")):
                    raise invalid(name if storable_text(name) else "query", message)
                raise BadRequest(description=f"{name if storable_text(name) else 'A field'}: {message}")


def init_app(app: Flask) -> None:
    """Install the guards; call before any blueprint is registered (routes bind their converters then)."""
    app.url_map.converters["int"] = IdConverter
    app.json = JsonProvider(app)
    app.url_value_preprocessor(_ids_in_range)
    app.before_request(_storable_parameters)
    app.wsgi_app = BodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"],
                             app.config["ZOOMBRIDGE_SETTINGS"].body_read_seconds)
