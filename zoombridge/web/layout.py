"""What every HTML page shares: the stylesheet and script, times in London, security headers.

Pages are server-rendered and work without JavaScript; the little script there is only makes
live attendance refresh itself.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException

from zoombridge import runtime
from zoombridge.web import csrf

blueprint = Blueprint("layout", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/assets")

# Pages never need anything from another origin; the browser refuses what is not listed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HTML_PREFIXES = ("/staff", "/register")


def london_time(value: datetime | None, style: str = "long") -> str:
    """A UTC time as staff and the public read it: local to the organisation's timezone."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(runtime.settings().timezone))
    if style == "time":
        return local.strftime("%H:%M")
    if style == "date":
        return f"{local:%A} {local.day} {local:%B %Y}"
    if style == "short":
        return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def pounds(pence: int | None) -> str:
    return f"£{(pence or 0) / 100:,.2f}"


def _html_error(exc: HTTPException):
    """A refusal as a page in the site's layout, never a stack trace."""
    headings = {400: "Please try again", 403: "Not allowed", 404: "Page not found",
                405: "Not allowed", 413: "Too large", 429: "Too many tries"}
    heading = headings.get(exc.code or 500, "Something went wrong")
    return render_template("error.html", heading=heading, message=exc.description), exc.code or 500


def html_errors(bp: Blueprint) -> Blueprint:
    """Errors raised in `bp`'s views are shown as HTML pages (the API keeps JSON errors)."""
    bp.register_error_handler(HTTPException, _html_error)
    return bp


def _add_security_headers(response: Response) -> Response:
    if request.path.startswith(HTML_PREFIXES):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/staff"):
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Filters, security headers and page globals (the blueprint is registered by `web.register_pages`)."""
    app.add_template_filter(london_time, "london")
    app.add_template_filter(pounds, "pounds")
    app.after_request(_add_security_headers)

    @app.context_processor
    def _page_globals() -> dict:
        return {"csrf_token": csrf.current_token, "signed_in_staff": g.get("staff")}

