"""Session setup tests: a fake Zoom behind `responses`, a real SMTP server, the injected clock."""

from __future__ import annotations

import pytest
import responses

from tests.notify.smtp_server import smtp_server  # noqa: F401
from tests.sessions.fake_zoom import API, OAUTH, FakeZoom
from zoombridge.zoom import SLEEP_EXTENSION


@pytest.fixture
def settings(settings, smtp_server):  # noqa: F811
    return settings.with_changes(zoom_api_base=API, zoom_oauth_base=OAUTH, smtp_url=smtp_server.url)


@pytest.fixture
def fake_zoom(app):
    app.extensions[SLEEP_EXTENSION] = lambda seconds: None  # the client's backoff must not wait
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeZoom(mock)


class Api:
    """The staff API as tests use it."""

    def __init__(self, client, headers):
        self.client = client
        self.headers = headers

    def post(self, path, body=None, **kwargs):
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers, **kwargs)

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def patch(self, path, body):
        return self.client.patch(f"/api/v1{path}", json=body, headers=self.headers)

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", headers=self.headers)

    def new_session(self, **body):
        response = self.post("/sessions", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def register(self, session_id, **body):
        response = self.post(f"/sessions/{session_id}/registrations", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def api(client, staff_headers):
    return Api(client, staff_headers)
