"""Session setup tests: a fake Zoom behind `responses`, a real SMTP server, the injected clock."""

from __future__ import annotations

import pytest
import responses

from tests.sessions.api_client import Api
from tests.sessions.fake_zoom import API, OAUTH, FakeZoom
from zoombridge.zoom import SLEEP_EXTENSION


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_changes(zoom_api_base=API, zoom_oauth_base=OAUTH, smtp_url=smtp_server.url)


@pytest.fixture
def fake_zoom(app):
    app.extensions[SLEEP_EXTENSION] = lambda seconds: None  # the client's backoff must not wait
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeZoom(mock)
        yield fake
    assert fake.problems == [], "requests Zoom's spec refuses"


@pytest.fixture
def api(client, staff_headers):
    return Api(client, staff_headers)
