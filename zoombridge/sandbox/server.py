"""Serving the stand-in: in the foreground (`zoombridge sandbox serve`) or in a thread (tests)."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import make_server


class StandinServer:
    """A threaded werkzeug server for `app` on `host:port` (port 0 picks a free one)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self._server = make_server(host, port, app, threaded=True)
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
