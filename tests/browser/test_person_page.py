"""The staff person page in Chromium: read a person's history, download their data, erase them;
each page checked with axe-core. Staff sign in through the Zoom stand-in's user OAuth."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot
from tests.builders import add_session, register
from tests.people.conftest import build_held
from zoombridge import staff_members
from zoombridge.store.models import Person


@pytest.fixture
def live_settings(settings, standin_server):
    return settings.with_changes(zoom_api_base=standin_server.url + "/v2", zoom_oauth_base=standin_server.url)


@pytest.fixture
def held(db, client, staff_headers, clock, run_jobs):
    return build_held(db, client, staff_headers, clock, run_jobs)


def sign_in(page, live_server, clock, path: str) -> None:
    with live_server.app.app_context(), live_server.db() as s:
        staff_members.add(s, "staff@example.org", "Sam", clock.now())
    page.goto(path)
    page.get_by_label("Zoom email address").fill("staff@example.org")
    page.get_by_role("button", name="Sign in with Zoom").click()


def test_staff_read_a_persons_history_download_their_data_and_erase_them(page, live_server, clock, held):
    sign_in(page, live_server, clock, f"/staff/people/{held.ann}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ann")
    sessions = page.get_by_role("table", name="Sessions Ann registered for or joined")
    expect(sessions).to_contain_text("Shaping our website")
    expect(sessions).to_contain_text("120")
    expect(page.get_by_role("table", name="Payment decisions for Ann")).to_contain_text("£50.00")
    expect(page.get_by_role("table", name="Cost claims for Ann")).to_contain_text("mobile data")
    screenshot(page, "staff-person")
    assert axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Download everything we hold about Ann (JSON)").click()
    export = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert export["person"]["email"] == "ann@example.org" and export["cost_claims"][0]["what_for"] == "mobile data"

    page.get_by_role("link", name="Erase Ann’s details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase Ann’s details")
    assert axe_violations(page) == []
    page.get_by_label("Why (optional)").fill("asked by email")
    page.get_by_role("button", name="Erase Ann’s details").click()
    expect(page.get_by_role("status")).to_contain_text("Their details were erased")
    expect(page.get_by_role("heading", level=1)).to_have_text("(erased)")
    expect(page.locator("main")).not_to_contain_text("ann@example.org")
    screenshot(page, "staff-person-erased")
    assert axe_violations(page) == []


def test_the_erase_page_lists_what_to_do_first_accessibly(page, live_server, clock, held, db):
    with db() as s:
        later = add_session(s, title="Next month", starts_at=clock.now() + timedelta(days=30))
        register(s, later, s.get(Person, held.bo), None)
    sign_in(page, live_server, clock, f"/staff/people/{held.bo}/erase")
    expect(page.get_by_role("heading", name="Not possible yet")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Next month")
    expect(page.get_by_role("button", name="Erase Bo’s details")).to_have_count(0)
    assert axe_violations(page) == []
