"""The whole staff flow in Chromium, against the Zoom stand-in.

Sign in through the stand-in's user OAuth, register two people on the public page (one with a
mistake first), make and view a breakout plan, play a co-production session with the stand-in's
meeting player and watch live attendance, then approve a payment and download the finance CSV.
Screenshots of the main pages go to tests/artifacts/.

Until issue 5's session and registration jobs are merged into this branch, `zoom_side_of` does
their part (the session row, the Zoom meeting and one registrant per registration) through the
same Zoom client those jobs use.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import axe_violations, screenshot
from zoombridge import staff_members
from zoombridge.sandbox.app import create_standin_app
from zoombridge.sandbox.player import MeetingPlayer
from zoombridge.sandbox.server import StandinServer
from zoombridge.sandbox.state import StandinState
from zoombridge.store.models import Registration, Session
from zoombridge.zoom import current_zoom_client

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # the test clock starts at 09:00 UTC
SCRIPT_MINUTES = 150  # the player's co-production script


@pytest.fixture
def standin(clock):
    server = StandinServer(create_standin_app(StandinState(clock=clock, seed=8), sleep=lambda s: None), quiet=True).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_settings(settings, standin):
    return settings.with_changes(zoom_api_base=standin.url + "/v2", zoom_oauth_base=standin.url)


def create_session(live_server, clock) -> int:
    """A co-production session with its Zoom meeting (what issue 5's create-meeting job does)."""
    app = live_server.app
    with app.app_context():
        meeting = current_zoom_client().create_meeting(app.config["ZOOMBRIDGE_SETTINGS"].zoom_host_user, {
            "topic": "Shaping our website", "type": 2, "start_time": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": SCRIPT_MINUTES, "timezone": "Europe/London",
            "settings": {"approval_type": 0, "registration_type": 1, "waiting_room": True, "audio": "both"}})
        with live_server.db() as s:
            row = Session(kind="co-production", title="Shaping our website", starts_at=START,
                          duration_minutes=SCRIPT_MINUTES, created_at=clock.now(), updated_at=clock.now(),
                          zoom_meeting_id=int(meeting["id"]), zoom_meeting_state="created", captions_state="on")
            s.add(row)
            s.flush()
            return row.id


def register_with_zoom(live_server, session_id: int) -> None:
    """Each registration becomes a Zoom registrant with a personal link (issue 5's register job)."""
    app = live_server.app
    with app.app_context(), live_server.db() as s:
        session = s.get(Session, session_id)
        for registration in s.scalars(select(Registration).where(Registration.session_id == session_id)):
            answer = current_zoom_client().add_registrant(session.zoom_meeting_id, {
                "email": registration.person.email, "first_name": registration.person.first_name})
            registration.zoom_registrant_id = answer.get("registrant_id") or answer.get("id")
            registration.join_url = answer.get("join_url")
            registration.participant_pin_code = str(answer.get("participant_pin_code") or "") or None
            registration.claim_confirmed_at = clock_now(live_server)  # they confirm how they want to be paid


def clock_now(live_server):
    return live_server.app.extensions["zoombridge.clock"].now()


def register_on_public_page(page, session_id: int) -> None:
    page.goto(f"/register/{session_id}")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Email address").fill("ada.example.org")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an email address in the right format")
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


def test_staff_run_a_session_from_sign_in_to_the_finance_export(page, chromium, live_server, standin, db, clock,
                                                               run_jobs, settings):
    with live_server.app.app_context(), live_server.db() as s:
        staff_members.add(s, "staff@example.org", "Sam", clock.now())

    # Sign in with Zoom (the stand-in's user OAuth), landing where we were going.
    page.goto("/staff/sessions")
    page.get_by_label("Zoom email address").fill("staff@example.org")
    page.get_by_role("button", name="Sign in with Zoom").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions")
    expect(page.get_by_role("status")).to_contain_text("Signed in as Sam")

    session_id = create_session(live_server, clock)

    # Two people register on the public page, in a browser of their own (no staff cookie).
    public = chromium.new_context(base_url=live_server.url)
    try:
        register_on_public_page(public.new_page(), session_id)
    finally:
        public.close()
    register_with_zoom(live_server, session_id)

    page.goto("/staff/sessions")
    expect(page.get_by_role("link", name="Shaping our website")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Meeting created")
    screenshot(page, "staff-sessions")
    page.get_by_role("link", name="Shaping our website").click()
    registrations = page.get_by_role("table", name="People registered for this session")
    expect(registrations).to_contain_text("Ada")
    expect(registrations).to_contain_text("Large print papers")
    expect(registrations).to_contain_text("Phone")

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
    run_jobs()
    page.clock.install()  # the page's own timer, run on demand below instead of waiting 10 s
    page.goto(f"/staff/sessions/{session_id}/live")
    summary = page.locator(".live-summary")
    expect(summary).to_contain_text("in the main room")
    expect(page.get_by_role("table", name="Who is here now")).to_contain_text("Ada")
    screenshot(page, "staff-live-attendance")

    # The rest of the meeting arrives while the page is open: it refreshes by itself.
    clock.set(START + timedelta(minutes=SCRIPT_MINUTES + 5))
    assert not player.play(meeting_id, "copro", webhook, start=START, omit=earlier).failed
    run_jobs()
    page.clock.run_for(11_000)
    expect(summary).to_contain_text("The meeting has ended")

    # After the meeting: attendance per person, payments worked out, Ada's approved, CSV for finance.
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
