"""Confirming new details from the emailed link, in a real browser on a phone, with axe-core
(issue 13, item 9): the page shows the new details, changes nothing until Confirm is pressed,
and every page of the flow (including a used link's) has no serious accessibility violation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import axe_violations, screenshot
from tests.builders import add_person
from tests.people.test_person_details import confirmation_emails, send_emails
from tests.web.test_public_registration import make_session
from zoombridge.store.models import Person


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_changes(smtp_url=smtp_server.url)


def test_a_person_confirms_new_details_from_the_emailed_link_on_a_phone(phone_page, live_server, db, clock,
                                                                         smtp_server, redis_conn):
    from playwright.sync_api import expect

    session_id = make_session(db, clock)
    with db() as s:
        add_person(s, "Ada", phone="07700 900123")
    page = phone_page
    page.goto(f"/register/{session_id}")
    page.get_by_label("First name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    expect(page.locator("main")).to_contain_text("Thank you, Ada Lovelace")
    assert axe_violations(page) == []

    send_emails(live_server.app, redis_conn)
    (email,) = confirmation_emails(smtp_server, "ada@example.org")
    link = email.get_body(preferencelist=("html",)).get_content().split('href="')[1].split('"')[0]
    assert link.startswith(live_server.url + "/register/confirm-details?token=zbc_")
    page.goto(link.replace("&amp;", "&"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your new details")
    expect(page.locator("dl.details")).to_contain_text("Ada Lovelace")
    assert axe_violations(page) == []
    screenshot(page, "confirm-details-phone")
    with db() as s:
        assert s.scalar(select(Person.first_name).where(Person.email == "ada@example.org")) == "Ada"

    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details are updated")
    assert axe_violations(page) == []
    with db() as s:
        assert s.scalar(select(Person.first_name).where(Person.email == "ada@example.org")) == "Ada Lovelace"

    page.goto(link.replace("&amp;", "&"))
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    expect(page.locator("main")).to_contain_text("already been used")
    assert axe_violations(page) == []
