"""The registration page's payment choices in Chromium, checked with axe-core: a person asks for
their payment to go to a charity, first forgetting to name it."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import axe_violations, screenshot
from tests.web.test_public_registration import make_session
from zoombridge.store.models import Registration


def test_choosing_a_charity_on_a_phone_names_a_missing_charity_and_saves_the_choice(phone_page, live_server, db,
                                                                                   clock):
    session_id = make_session(db, clock)
    page = phone_page
    page.goto(f"/register/{session_id}")
    payment = page.get_by_role("group", name="Payment")
    expect(payment).to_contain_text("and so do vouchers")
    expect(payment).to_contain_text("Citizens Advice")
    page.get_by_label("First name").fill("Dee")
    page.get_by_label("Email address").fill("dee@example.org")
    page.get_by_label("I would like to be paid for my time").check()
    page.get_by_label("The full amount, given to a charity I name below instead of to me").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("alert")).to_contain_text("The charity must be named")
    charity = page.get_by_label("Name of the charity (if you chose a charity)")
    expect(charity).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("The full amount, given to a charity I name below instead of to me")).to_be_checked()
    assert axe_violations(page) == []
    screenshot(page, "register-payment-choice-error")

    page.get_by_role("link", name="The charity must be named").click()
    expect(charity).to_be_focused()
    charity.fill("Mind")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    with db() as s:
        saved = s.scalars(select(Registration)).one()
        assert (saved.wants_payment, saved.payment_choice, saved.charity) == (True, "charity", "Mind")
