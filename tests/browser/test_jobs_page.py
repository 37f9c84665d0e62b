"""The Jobs page and the session page's work in progress in Chromium, checked with axe-core; and the
API reference page (`/api/v1/docs`) too.

A meeting that Zoom refuses to make (its host is not in the account) fails its job; staff see it
on the Jobs page in plain words and retry it; the stand-in then makes the meeting. The session
page shows a long job's "n of N" and updates it without reloading.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot, sign_in_as_staff
from zoombridge.queue import intents, progress
from zoombridge.sessions import service
from zoombridge.store.models import Session
from zoombridge.unit_of_work import carry_out

WHAT = "Create the Zoom meeting for Co-Pro Cuppa, Tue 2 Feb 2027"


@pytest.fixture
def live_settings(settings, standin):
    return settings.with_changes(zoom_api_base=standin.url + "/v2", zoom_oauth_base=standin.url)


def test_staff_see_a_failed_job_in_plain_words_retry_it_and_watch_progress(
        page, live_server, live_jobs, standin, clock, redis_conn):
    sign_in_as_staff(page, live_server, clock)
    with live_server.app.app_context():
        session = carry_out(service.create_session, service.NewSession(
            kind="co-production", start="2027-02-02T10:00", title="Co-Pro Cuppa"), "test")
    standin.app.extensions["zoombridge.sandbox.faults"].arm(
        "refusal", times=6, status=404, code=1001, message="User does not exist: host@example.org.",
        method="POST", path_prefix="/v2/users/")
    live_jobs()
    assert [job.id for job in live_jobs.failed()] == [f"create-meeting_{session['id']}"]

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobs")
    failed = page.get_by_role("table", name="Jobs that failed, newest first")
    expect(failed).to_contain_text(WHAT)
    expect(failed).to_contain_text("Zoom says the host user is not in the account (ZOOM_HOST_USER).")
    screenshot(page, "staff-jobs")
    assert axe_violations(page) == []

    failed.get_by_role("button", name=f"Retry {WHAT}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Trying again: {WHAT}.")
    expect(page.get_by_role("table", name="Jobs queued to run next")).to_contain_text(WHAT)
    live_jobs()  # the same intent again; the stand-in makes the meeting this time
    with live_server.app.app_context(), live_server.db() as s:
        assert s.get(Session, session["id"]).zoom_meeting_state == "created"

    # Long work in progress: the job says how far it has got, and the page follows without reloading.
    job = intents.register_people(redis_conn, session["id"])
    job.meta[progress.META_KEY] = {"done": 40, "total": 120}
    job.save_meta()
    page.goto(f"/staff/sessions/{session['id']}")
    work = page.locator("#session-work")
    expect(work).to_contain_text("Register everyone waiting with Zoom for Co-Pro Cuppa, Tue 2 Feb 2027:")
    expect(work).to_contain_text("40 of 120")
    page.evaluate("window.stayedOnThePage = true")
    job.meta[progress.META_KEY] = {"done": 80, "total": 120}
    job.save_meta()
    expect(page.locator("#session-work")).to_contain_text("80 of 120", timeout=20_000)
    assert page.evaluate("window.stayedOnThePage === true")  # refreshed in place, not reloaded
    screenshot(page, "staff-session-work", full_page=False)
    assert axe_violations(page) == []


def test_the_api_reference_page_has_no_serious_accessibility_violations(page):
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff API reference")
    expect(page.get_by_role("link", name="POST /api/v1/sessions", exact=True)).to_be_visible()
    screenshot(page, "api-docs", full_page=False)
    assert axe_violations(page) == []
