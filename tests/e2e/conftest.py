"""End-to-end fixtures: the real app served over HTTP on a free port."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from zoombridge.sandbox.server import QuietRequestHandler


@pytest.fixture
def app_server(app):
    """The app under a threaded werkzeug server (webhooks arrive as real HTTP requests); its URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
