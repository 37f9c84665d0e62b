"""pytest plugin: the Zoom stand-in on a free port in a thread, and a webhook receiver.

- `standin_server`: a `StandinServer` (`.url`, `.app`, `.state`) answering with
  `check_responses=True`, so an answer that drifts from the spec fails as a 500.
- `standin_client`: the real `ZoomClient` pointed at it (test Redis and clock, sleeps recorded).
- `webhook_receiver`: a small signature-checking receiver (`.url`, `.received`), standing in for
  the service's `/zoom/webhook` in the player's own tests.
- `standin_answers`: every answer the stand-in gave, counted by method, path and status, to say
  how many calls reached "Zoom" (`.statuses("POST", "/meetings")`).
- `on_the_standin(settings, standin_server, smtp_server)`: the app's settings pointed at both.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
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


class StandinAnswers:
    """Counts the stand-in's answers as they leave it: (method, path, status)."""

    def __init__(self, standin_server):
        self.seen: Counter = Counter()
        self._lock = threading.Lock()
        inner = standin_server.app.wsgi_app

        def counting(environ, start_response):
            method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]

            def recording(status, headers, *rest):
                with self._lock:
                    self.seen[(method, path, int(status.split()[0]))] += 1
                return start_response(status, headers, *rest)
            return inner(environ, recording)

        standin_server.app.wsgi_app = counting

    def statuses(self, method: str, path_suffix: str) -> Counter:
        """Answers by status to METHOD calls whose path ends with `path_suffix`."""
        with self._lock:
            found: Counter = Counter()
            for (m, path, status), n in self.seen.items():
                if m == method and path.endswith(path_suffix):
                    found[status] += n
            return found


@pytest.fixture
def standin_answers(standin_server) -> StandinAnswers:
    return StandinAnswers(standin_server)


def on_the_standin(settings, standin_server, smtp_server):
    """The app's settings with Zoom at the stand-in and email at the test's SMTP server."""
    return settings.with_changes(zoom_api_base=standin_server.url + "/v2", zoom_oauth_base=standin_server.url,
                                 smtp_url=smtp_server.url)
