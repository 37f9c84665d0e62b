"""What the web app needs from where it is deployed: the proxies in front, HTTPS, who may scrape.

- Proxies: with `ZOOMBRIDGE_TRUSTED_PROXIES=N`, werkzeug's `ProxyFix` takes the client address,
  scheme and host from the last N `X-Forwarded-*` entries (the ones our own proxies added), so the
  per-address registration limit counts people, not the proxy. With 0 (the default) the headers
  are ignored: a client cannot pick the address it is counted under by sending one itself.
- HTTPS: in production every answer carries `Strict-Transport-Security` (a year, subdomains), so a
  browser that has seen the site once never speaks plain HTTP to it again.
- `/metrics` answers only a request with `Authorization: Bearer <ZOOMBRIDGE_METRICS_TOKEN>` or a
  staff API token: queue lengths and counters say when sessions run and how busy the service is.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from zoombridge import runtime, staff_tokens
from zoombridge.store import db_session
from zoombridge.web.errors import ApiError

HSTS = "max-age=31536000; includeSubDomains"


def _strict_transport(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def require_metrics_token() -> None:
    """Before `/metrics`: the metrics token, or any valid staff API token; 401 otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        expected = runtime.settings().metrics_token
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            return
        with db_session() as s:
            if staff_tokens.find(s, token, runtime.now()) is not None:
                return
    raise ApiError(401, "unauthorised", "Send the metrics token (or a staff token) as 'Authorization: Bearer <token>'.")


def init_app(app: Flask) -> None:
    settings = app.config["ZOOMBRIDGE_SETTINGS"]
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=0)
    if settings.is_production:
        app.after_request(_strict_transport)
