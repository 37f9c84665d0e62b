"""pytest plugin: the Zoom stand-in, in this process or on a port, and a webhook receiver.

The stand-in (`zoombridge.sandbox`) is the one Zoom fake the tests use end to end; `responses`
(`tests.zoom_mock`) is for unit tests of single calls. Both hold requests to the spec.

- `standin_in_process`: the stand-in answering the app's Zoom calls through `responses`, with no
  port and no thread (fast; for job and flow tests). Point the app at it with
  `IN_PROCESS_SETTINGS`. It records every call (`calls_to`), can lose an answer after the
  stand-in acted (`lose_answers`: a timeout after Zoom made the meeting), and exposes the
  stand-in's state and fault switch.
- `standin_server`: a `StandinServer` (`.url`, `.app`, `.state`) on a free port in a thread,
  answering with `check_responses=True`, so an answer that drifts from the spec fails as a 500.
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
import re
import threading
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
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


# Where the app's Zoom client is pointed when the stand-in answers in-process (nothing listens there).
IN_PROCESS_ORIGIN = "https://zoom.test"
IN_PROCESS_SETTINGS = {"zoom_api_base": IN_PROCESS_ORIGIN + "/v2", "zoom_oauth_base": IN_PROCESS_ORIGIN}


@dataclass(frozen=True)
class ZoomRequest:
    method: str
    path: str  # under /v2, as sent (an encoded meeting UUID stays encoded)
    query: dict
    body: object


class InProcessStandin:
    """The stand-in's Flask app answering the HTTP calls `responses` intercepts."""

    def __init__(self, rsps: responses.RequestsMock, clock):
        from zoombridge.sandbox.app import FAULTS_KEY, STATE_KEY, create_standin_app
        from zoombridge.sandbox.state import StandinState

        self.app = create_standin_app(StandinState(clock=clock, seed=11), check_responses=True, sleep=lambda s: None)
        self.state = self.app.extensions[STATE_KEY]
        self.faults = self.app.extensions[FAULTS_KEY]
        self.calls: list[ZoomRequest] = []
        self.problems: list[str] = []  # requests the stand-in refused as the spec says Zoom would
        self._lost: list[list] = []  # [method, path pattern, times left]
        self._client = self.app.test_client()
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            rsps.add_callback(method, re.compile(re.escape(IN_PROCESS_ORIGIN) + r"/.*"), callback=self._answer)

    def _answer(self, request):
        split = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self._client.open(split.path, method=request.method, query_string=split.query, data=body,
                                   headers=dict(request.headers), base_url=IN_PROCESS_ORIGIN)
        if split.path.startswith("/v2/"):
            call = ZoomRequest(request.method, split.path[3:], dict(parse_qsl(split.query)),
                               json.loads(body) if body else None)
            self.calls.append(call)
            if answer.status_code == 400 and (answer.get_json(silent=True) or {}).get("code") == 300:
                self.problems.append(f"{call.method} {call.path}: {answer.get_json()}")
            if self._take_lost(call):
                raise requests.ReadTimeout(f"read timed out (the stand-in did {call.method} {call.path})")
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-type")}
        return answer.status_code, {**headers, "Content-Type": answer.content_type or "text/plain"}, answer.data

    def _take_lost(self, call: ZoomRequest) -> bool:
        for lost in self._lost:
            if lost[0] == call.method and re.fullmatch(lost[1], call.path) and lost[2] > 0:
                lost[2] -= 1
                return True
        return False

    def lose_answers(self, method: str, pattern: str, times: int = 1) -> None:
        """The next `times` METHOD calls to a path matching `pattern` reach the stand-in, which acts
        on them, and then time out on the way back (as when Zoom made a meeting and the answer was lost)."""
        self._lost.append([method, pattern, times])

    def calls_to(self, method: str, pattern: str) -> list[ZoomRequest]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    def live_meetings(self) -> list[dict]:
        return [self.state.get_meeting(meeting_id) for meeting_id in list(self.state.meetings)]


@pytest.fixture
def standin_in_process(clock):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        standin = InProcessStandin(rsps, clock)
        yield standin
    assert standin.problems == [], "requests the stand-in refused as Zoom's spec does"


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
