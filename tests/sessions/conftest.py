"""Session setup tests: the Zoom stand-in in this process, a real SMTP server, the injected clock."""

from __future__ import annotations

import pytest

from tests.sessions.api_client import Api
from tests.standin_fixtures import IN_PROCESS_SETTINGS
from zoombridge.zoom import SLEEP_EXTENSION


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_changes(**IN_PROCESS_SETTINGS, smtp_url=smtp_server.url)


@pytest.fixture
def standin(app, standin_in_process):
    app.extensions[SLEEP_EXTENSION] = lambda seconds: None  # the client's backoff must not wait
    return standin_in_process


@pytest.fixture
def api(client, staff_headers):
    return Api(client, staff_headers)
