"""Serving the stand-in: in the foreground (`zoombridge sandbox serve`) or in a thread (tests)."""

from __future__ import annotations

import threading
from urllib.parse import unquote, urlsplit

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from zoombridge.privacy import mask_email


def private_path(raw: str) -> str:
    """A request path fit for a log: no query string (OAuth `state`, `code`, `login_hint`, join
    link passcodes live there) and any path segment holding an email masked (`/v2/users/<email>/...`)."""
    path = urlsplit(raw).path
    return "/".join(mask_email(unquote(part)) if "@" in unquote(part) else part for part in path.split("/"))


class PrivateRequestHandler(WSGIRequestHandler):
    """One access line per request, without personal data: method, private path, status."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log("info", '"%s %s" %s', self.command, private_path(self.path), code)


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request (tests post hundreds of webhooks)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class StandinServer:
    """A threaded werkzeug server for `app` on `host:port` (port 0 picks a free one)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, quiet: bool = False):
        self.app = app
        self._server = make_server(host, port, app, threaded=True,
                                   request_handler=QuietRequestHandler if quiet else PrivateRequestHandler)
        self.host, self.port = host, self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> StandinServer:
        self._thread = threading.Thread(target=self.serve_forever, name="zoom-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
