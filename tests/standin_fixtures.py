"""pytest plugin: the Zoom stand-in on a free port in a thread, and a webhook receiver.

- `standin_server`: a `StandinServer` (`.url`, `.app`, `.state`) answering with
  `check_responses=True`, so an answer that drifts from the spec fails as a 500.
- `standin_client`: the real `ZoomClient` pointed at it (test Redis and clock, sleeps recorded).
- `webhook_receiver`: a small signature-checking receiver (`.url`, `.received`), standing in for
  the service's `/zoom/webhook` in the player's own tests.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from zoombridge.sandbox.server import QuietRequestHandler
from zoombridge.zoom.signature import is_valid


@dataclass
class Received:
    headers: dict
    raw: bytes
    body: dict
    signature_valid: bool

    @property
    def event(self) -> str:
        return self.body["event"]

    @property
    def request_id(self) -> str:
        return self.headers.get("X-Zm-Request-Id", "")


class WebhookReceiver:
    def __init__(self, secret: str):
        self.secret = secret
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=QuietRequestHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/zoom/webhook"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        raw = request.get_data()
        valid = is_valid(self.secret, request.headers.get("x-zm-request-timestamp"), raw,
                         request.headers.get("x-zm-signature"))
        with self._lock:
            self.received.append(Received(dict(request.headers), raw, json.loads(raw), valid))
        return Response(status=200 if valid else 401)(environ, start_response)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def webhook_receiver():
    from tests.conftest import WEBHOOK_SECRET

    receiver = WebhookReceiver(WEBHOOK_SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def standin_server(clock):
    """The stand-in keeps the test's time (token lifetimes, "upcoming" meetings, report times)."""
    from zoombridge.sandbox.app import STATE_KEY, create_standin_app
    from zoombridge.sandbox.server import StandinServer
    from zoombridge.sandbox.state import StandinState

    app = create_standin_app(StandinState(clock=clock, seed=11), check_responses=True)
    server = StandinServer(app, quiet=True).start()
    server.state = app.extensions[STATE_KEY]
    yield server
    server.stop()


@pytest.fixture
def standin_sleeps() -> list[float]:
    return []


@pytest.fixture
def standin_client(standin_server, redis_conn, clock, standin_sleeps):
    from zoombridge.sandbox import STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
    from zoombridge.zoom.client import ZoomClient
    from zoombridge.zoom.token import Credentials

    return ZoomClient(credentials=Credentials(STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET),
                      api_base=standin_server.url + "/v2", oauth_base=standin_server.url, connection=redis_conn,
                      clock=clock, sleep=standin_sleeps.append, rng=random.Random(5), timeout=(2.0, 5.0))
