"""Browser tests: the app in a real server thread, driven by Debian's Chromium through Playwright.

- The app runs on a free loopback port in a thread (werkzeug, threaded) with the same real
  database and Redis as every other test; its public URL is the server's own.
- Chromium is `/usr/bin/chromium` (Debian's package, no Playwright browser download); these
  tests are skipped only when it is absent.
- axe-core comes from npm (`make axe` installs it under `.cache/axe`); without it the axe check
  is skipped on a developer's machine, and fails in CI (`CI` set), where it must run.
- Screenshots go to `tests/artifacts/` (ignored by git).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import JobRunner
from zoombridge import staff_members
from zoombridge.app import create_app
from zoombridge.sandbox.app import create_standin_app
from zoombridge.sandbox.server import QuietRequestHandler, StandinServer
from zoombridge.sandbox.state import StandinState

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ZOOMBRIDGE_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = PROJECT_ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
SERIOUS = {"serious", "critical"}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=f"Debian's chromium is not installed at {CHROMIUM}")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


class _Dispatch:
    """The server is bound before the app exists (the app needs the server's URL)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    app: object

    def db(self):
        return self.app.extensions["zoombridge.db"].session()


def start_server(wsgi_app) -> tuple[object, threading.Thread, str]:
    # No access log: request lines carry query strings (a sign-in hint holds an email address).
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def live_settings(settings):
    """Hook for tests that point the app at other servers (the Zoom stand-in)."""
    return settings


@pytest.fixture
def live_server(live_settings, clock, redis_conn):
    dispatch = _Dispatch()
    server, thread, url = start_server(dispatch)
    app = create_app(live_settings.with_changes(public_base_url=url), clock=clock)
    dispatch.app = app
    try:
        yield LiveServer(url=url, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["zoombridge.db"].dispose()


@pytest.fixture
def standin(clock):
    """The Zoom stand-in on a port, on the test's clock (a test points the app at it through
    `live_settings`)."""
    server = StandinServer(create_standin_app(StandinState(clock=clock, seed=8), sleep=lambda s: None),
                           quiet=True).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_jobs(live_server, redis_conn, clock) -> JobRunner:
    """The workers, with the live app's settings (its Zoom is the stand-in, its outbox the page's)."""
    live_server.app.extensions["zoombridge.zoom.sleep"] = lambda seconds: clock.advance(seconds=seconds)
    return JobRunner(live_server.app, redis_conn, clock)


def sign_in_as_staff(page, live_server, clock) -> None:
    """Sam signs in with Zoom (the stand-in's user OAuth) and lands on the sessions list."""
    with live_server.app.app_context(), live_server.db() as s:
        staff_members.add(s, "staff@example.org", "Sam", clock.now())
    page.goto("/staff/sessions")
    page.get_by_label("Zoom email address").fill("staff@example.org")
    page.get_by_role("button", name="Sign in with Zoom").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
    expect(page.get_by_role("status")).to_contain_text("You are signed in")  # flashes name nobody
    expect(page.locator(".sign-out")).to_contain_text("Sam")


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"], timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


def _open_page(chromium, live_server, **context_options):
    context = chromium.new_context(base_url=live_server.url, locale="en-GB", **context_options)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(chromium, live_server):
    yield from _open_page(chromium, live_server, viewport={"width": 1100, "height": 900},
                          timezone_id="Europe/London")


@pytest.fixture
def phone_page(chromium, live_server):
    """A small touch screen, as many members of the public use."""
    yield from _open_page(chromium, live_server, viewport={"width": 390, "height": 844},
                          device_scale_factor=1, is_mobile=True, has_touch=True)


def screenshot(page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page, impacts: set[str] = SERIOUS) -> list[tuple[str, str, list]]:
    """axe-core's violations of the given impacts on the current page, as (rule, impact, targets).

    The script is evaluated rather than added as a <script> tag so the page's Content Security
    Policy (script-src 'self') does not block it.
    """
    if not AXE_JS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is missing at {AXE_JS}; .ci/run installs it with `make axe`")
        pytest.skip("axe-core is not installed (run `make axe`)")
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in result["violations"] if v["impact"] in impacts]
