"""The whole staff flow in Chromium, against the Zoom stand-in, with the real code all the way.

Sign in through the stand-in's user OAuth, create the session with the new-session form,
register two people on the public page (one with a mistake first), run the jobs (the Zoom
meeting on the stand-in, a registrant each, the personal link emails into the development
outbox), read those emails on the outbox page, make and view a breakout plan, play the meeting
with the stand-in's player and watch live attendance, confirm Ada's claim through the staff API,
approve her payment and download the finance CSV. Screenshots of the main pages go to
tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import axe_violations, screenshot, sign_in_as_staff
from zoombridge import staff_tokens
from zoombridge.sandbox.player import MeetingPlayer
from zoombridge.store.models import Person, Session

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # the test clock starts at 09:00 UTC; London is on GMT
SCRIPT_MINUTES = 150  # the player's co-production script


@pytest.fixture
def live_settings(settings, standin):
    return settings.with_changes(zoom_api_base=standin.url + "/v2", zoom_oauth_base=standin.url)


def create_session_on_the_form(page) -> int:
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="New session").click()
    page.get_by_label("Kind of session").select_option("co-production")
    page.get_by_label("Title (optional)").fill("Shaping our website")
    page.get_by_label("Date", exact=True).fill("2026-11-24")
    page.get_by_label("Start time").fill("10:00")
    screenshot(page, "staff-new-session")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Create the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shaping our website")
    expect(page.get_by_role("status")).to_contain_text("the Zoom meeting is being set up")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def confirm_claim(live_server, session_id: int, email: str) -> None:
    """Ada confirms how she wants to be paid; staff record it with the claims API."""
    app = live_server.app
    with app.app_context(), live_server.db() as s:
        token = staff_tokens.issue(s, "Finance", app.extensions["zoombridge.clock"].now())
        person_id = s.scalar(select(Person.id).where(Person.email == email))
    answer = requests.put(f"{live_server.url}/api/v1/sessions/{session_id}/claims/{person_id}",
                          json={"confirmed": True}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["claim"]["confirmed"], answer.text


def register_on_public_page(page, session_id: int) -> None:
    page.goto(f"/register/{session_id}")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Email address").fill("ada.example.org")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Email address must be an email address")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("I would like to be paid for my time").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")

    page.goto(f"/register/{session_id}")
    page.get_by_label("First name").fill("Bo")
    page.get_by_label("Email address").fill("bo@example.org")
    page.get_by_label("By phone").check()
    page.get_by_label("Is there anything that would help you take part?").fill("Large print papers")
    page.get_by_label("I would like to be paid for my time").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")


def test_staff_run_a_session_from_sign_in_to_the_finance_export(page, chromium, live_server, standin, clock,
                                                               live_jobs, settings):
    sign_in_as_staff(page, live_server, clock)  # with Zoom (the stand-in's user OAuth)

    session_id = create_session_on_the_form(page)

    # Two people register on the public page, in a browser of their own (no staff cookie).
    public = chromium.new_context(base_url=live_server.url)
    try:
        register_on_public_page(public.new_page(), session_id)
    finally:
        public.close()

    # The workers: the meeting on the stand-in, a Zoom registrant each, their link emails (the outbox).
    live_jobs()
    assert live_jobs.failed() == []
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Outbox").click()
    outbox = page.get_by_role("table")
    expect(outbox).to_contain_text("ada@example.org")
    expect(outbox).to_contain_text("bo@example.org")
    screenshot(page, "staff-outbox")
    page.get_by_role("row", name="ada@example.org").first.get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("Shaping our website")

    page.goto("/staff/sessions")
    expect(page.get_by_role("link", name="Shaping our website")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("Meeting created")
    expect(page.locator("table").first).to_contain_text("Links sent 2 of 2")
    screenshot(page, "staff-sessions")
    page.get_by_role("link", name="Shaping our website").click()
    registrations = page.get_by_role("table", name="People registered for this session")
    expect(registrations).to_contain_text("Ada")
    expect(registrations).to_contain_text("Large print papers")
    expect(registrations).to_contain_text("Phone")
    expect(page.get_by_role("table", name="emails for this session")).to_contain_text("bo@example.org")

    # Breakout plan: make it, view it by room.
    page.get_by_role("link", name="Make a breakout plan").click()
    page.get_by_label("People per room (optional)").fill("2")
    page.get_by_role("button", name="Make the plan").click()
    expect(page.get_by_role("status")).to_contain_text("Breakout plan made")
    expect(page.get_by_role("heading", name="Round 1")).to_be_visible()
    expect(page.locator(".rooms")).to_contain_text("Bo")
    screenshot(page, "staff-breakout-plan")

    # The meeting: the stand-in plays the first 40 minutes; live attendance shows who is there.
    clock.set(START + timedelta(minutes=40))
    player = MeetingPlayer(standin.url, settings.webhook_secret, clock=clock, seed=8)
    meeting_id = session_zoom_meeting(live_server, session_id)
    deliveries = player.performance(meeting_id, "copro", start=START).deliveries
    later = [n for n, d in enumerate(deliveries, start=1) if d.offset > timedelta(minutes=40)]
    earlier = [n for n in range(1, len(deliveries) + 1) if n not in later]
    webhook = f"{live_server.url}/zoom/webhook"
    assert not player.play(meeting_id, "copro", webhook, start=START, omit=later).failed
    live_jobs()
    page.clock.install()  # the page's own timer, run on demand below instead of waiting 10 s
    page.goto(f"/staff/sessions/{session_id}/live")
    summary = page.locator(".live-summary")
    expect(summary).to_contain_text("in the main room")
    expect(page.get_by_role("table", name="Who is here now")).to_contain_text("Ada")
    screenshot(page, "staff-live-attendance")

    # The rest of the meeting arrives while the page is open: it refreshes by itself.
    clock.set(START + timedelta(minutes=SCRIPT_MINUTES + 5))
    assert not player.play(meeting_id, "copro", webhook, start=START, omit=earlier).failed
    live_jobs()
    page.clock.run_for(11_000)
    expect(summary).to_contain_text("The meeting has ended")

    # After the meeting: attendance per person, Ada's claim confirmed, payments worked out,
    # Ada's approved, CSV for finance.
    confirm_claim(live_server, session_id, "ada@example.org")
    page.goto(f"/staff/sessions/{session_id}")
    expect(page.get_by_role("table", name="Attendance per person")).to_contain_text("Ada")
    page.get_by_role("button", name="Work out payments again").click()
    expect(page.get_by_role("status")).to_contain_text("Payments worked out")
    page.get_by_role("button", name="Approve Ada").click()
    expect(page.get_by_role("status")).to_contain_text("Payment approved")
    screenshot(page, "staff-session")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "staff-session-top", full_page=False)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Payments").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the finance export (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
    assert [r["first_name"] for r in rows] == ["Ada"] and float(rows[0]["amount_gbp"]) > 0
    assert axe_violations(page) == []


def session_zoom_meeting(live_server, session_id: int) -> int:
    with live_server.db() as s:
        return s.get(Session, session_id).zoom_meeting_id
