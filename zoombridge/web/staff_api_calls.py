"""Staff pages call the staff JSON API's own views, in-process, so pages keep no rules of their own.

A page turns its form into the JSON body the API expects, calls the API view under a request of
its own (carrying the signed-in staff member's name where the API's bearer token would), and
shows the answer: the data, or the API's error message naming the field. The bearer-token check
is a `before_request` of the API blueprint, so it is not run here; the page's own sign-in check
has already run.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, g

from zoombridge.refusals import Refused
from zoombridge.web.errors import refusal_response


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    response: Response

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def data(self) -> dict:
        return self.response.get_json(silent=True) or {}

    @property
    def field(self) -> str | None:
        """The field the API's refusal is about, when it names one (`start`, `rows[4].email`)."""
        return (self.data.get("error") or {}).get("field")

    @property
    def error(self) -> str:
        """The API's message for a refusal (it names the field where there is one)."""
        error = self.data.get("error") or {}
        return error.get("message") or "That did not work; nothing was changed."


def call(view, *args, json: dict | None = None, query: dict | None = None, method: str | None = None,
         data: bytes | None = None, content_type: str | None = None) -> ApiAnswer:
    """Run the API view `view(*args)` with this JSON body (or raw `data`, such as an uploaded CSV)
    and query string; never raises ApiError."""
    method = method or ("POST" if json is not None or data is not None else "GET")
    outer_staff = g.get("staff")
    body = {"json": json} if json is not None else {"data": data, "content_type": content_type}
    with current_app.test_request_context("/api/v1/(page)", method=method, query_string=query or {}, **body):
        g.staff_name = outer_staff["email"] if outer_staff else "staff page"
        try:
            response = current_app.make_response(view(*args))
        except Refused as exc:
            response = current_app.make_response(refusal_response(exc))
    return ApiAnswer(response.status_code, response)
