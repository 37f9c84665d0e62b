"""pytest plugin: Zoom's HTTP API mocked with `responses`, every request held to the spec.

Use the `zoom_api` fixture in any test that makes the app call Zoom (job tests included):

    def test_something(app, zoom_api):
        zoom_api.add("POST", "/users/host@example.org/meetings", status=201, json={"id": 85746065432, ...})
        ... run the code under test ...
        assert zoom_api.calls[0].body["type"] == 8

- URLs are relative to the API base the app's client uses (`zoombridge.zoom.zoom_endpoints`
  for the test settings); the OAuth token endpoint is answered automatically
  (`zoom_api.token_requests` counts the fetches).
- Registering the same method and path twice answers them in order (the last one repeats).
- Every request body is validated against the spec subset (`zoombridge.sandbox.spec`): an
  invalid body fails the test (raised at the call, and again at teardown in case the code under
  test swallowed the error). So is a call to an operation that is not in the spec subset.
- `zoom_client` is a ZoomClient on the test Redis and clock whose sleeps are recorded in
  `zoom_sleeps` (nothing waits).
"""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from zoombridge.sandbox.spec import zoom_spec


class InvalidZoomRequest(AssertionError):
    """The code under test sent Zoom something the spec says Zoom refuses."""


@dataclass
class ZoomCall:
    method: str
    path: str  # as sent, percent-encoding included, without the API base
    query: dict
    body: object
    operation_id: str


class ZoomApiMock:
    def __init__(self, rsps: responses.RequestsMock, api_base: str, oauth_base: str):
        self.rsps = rsps
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.calls: list[ZoomCall] = []
        self.problems: list[str] = []
        self.token_requests = 0
        rsps.add_callback(responses.POST, self.oauth_base + "/oauth/token", callback=self._token)

    def _token(self, request):
        self.token_requests += 1
        body = {"access_token": f"mock-token-{self.token_requests}", "token_type": "bearer", "expires_in": 3600,
                "scope": "meeting:write:admin", "api_url": self.api_base.removesuffix("/v2")}
        return 200, {"Content-Type": "application/json"}, jsonlib.dumps(body)

    def _check(self, request) -> ZoomCall:
        split = urlsplit(request.url)
        raw_path = split.path[len(urlsplit(self.api_base).path):]
        query = dict(parse_qsl(split.query))
        body = None
        if request.body:
            raw = request.body.decode() if isinstance(request.body, bytes) else request.body
            body = jsonlib.loads(raw)
        spec = zoom_spec()
        try:  # matched as sent: an encoded meeting UUID stays one path segment
            template, operation = spec.find_operation(request.method, raw_path)
        except KeyError as exc:
            self.problems.append(str(exc))
            raise InvalidZoomRequest(str(exc)) from None
        problems = spec.request_errors(request.method, template, body, query)
        call = ZoomCall(request.method, raw_path, query, body, operation["operationId"])
        self.calls.append(call)
        if problems:
            message = f"{request.method} {template} ({operation['operationId']}) body refused by the spec: {problems}"
            self.problems.append(message)
            raise InvalidZoomRequest(message)
        return call

    def add(self, method: str, path: str, *, status: int = 200, json=None, headers: dict | None = None) -> None:
        """Answer METHOD api_base+PATH with `status` and `json` (after checking the request)."""
        def answer(request):
            self._check(request)
            payload = "" if json is None else jsonlib.dumps(json)
            return status, {"Content-Type": "application/json", **(headers or {})}, payload

        self.rsps.add_callback(method.upper(), self.api_base + path, callback=answer)

    def operation_ids(self) -> list[str]:
        return [c.operation_id for c in self.calls]


@pytest.fixture
def zoom_api(settings):
    from zoombridge.zoom import zoom_endpoints

    api_base, oauth_base = zoom_endpoints(settings)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock = ZoomApiMock(rsps, api_base, oauth_base)
        yield mock
    if mock.problems:
        pytest.fail("requests Zoom would refuse:\n" + "\n".join(mock.problems))


@pytest.fixture
def zoom_sleeps() -> list[float]:
    return []


@pytest.fixture
def zoom_client(settings, redis_conn, clock, zoom_sleeps):
    import random

    from zoombridge.zoom import zoom_credentials, zoom_endpoints
    from zoombridge.zoom.client import ZoomClient

    api_base, oauth_base = zoom_endpoints(settings)
    return ZoomClient(credentials=zoom_credentials(settings), api_base=api_base, oauth_base=oauth_base,
                      connection=redis_conn, clock=clock, sleep=zoom_sleeps.append, rng=random.Random(7))
