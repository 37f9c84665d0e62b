from sqlalchemy import select

from tests.browser.conftest import axe_violations, screenshot
from tests.web.test_public_registration import make_session
from zoombridge.store.models import Registration


def test_registering_on_a_phone_with_an_error_first_then_success(phone_page, live_server, db, clock):
    from playwright.sync_api import expect

    session_id = make_session(db, clock)
    page = phone_page
    page.goto(f"/register/{session_id}")
    assert axe_violations(page) == []
    screenshot(page, "register-phone")

    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Email address").fill("ada-at-example")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("alert")).to_be_focused()
    email = page.get_by_label("Email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re_description("like name@example.com"))
    assert axe_violations(page) == []
    screenshot(page, "register-error")

    page.get_by_role("link", name="Email address must be an email address").click()
    expect(email).to_be_focused()
    email.fill("ada@example.org")
    page.get_by_label("By phone").check()
    page.get_by_label("I would like to be paid for my time").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    screenshot(page, "register-confirmation")
    with db() as s:
        saved = s.scalars(select(Registration)).one()
        assert (saved.joins_by, saved.wants_payment, saved.person.email) == ("phone", True, "ada@example.org")


def test_the_form_can_be_completed_with_the_keyboard_alone(page, live_server, db, clock):
    from playwright.sync_api import expect

    session_id = make_session(db, clock)
    page.goto(f"/register/{session_id}")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # first name
    expect(page.get_by_label("First name")).to_be_focused()
    page.keyboard.type("Bo")
    page.keyboard.press("Tab")
    page.keyboard.type("bo@example.org")
    page.keyboard.press("Tab")  # phone
    page.keyboard.press("Tab")  # video / phone radios
    page.keyboard.press("Space")
    expect(page.get_by_label("By video")).to_be_checked()
    page.keyboard.press("Tab")  # access needs
    page.keyboard.type("Captions")
    page.keyboard.press("Tab")  # payment
    page.keyboard.press("Space")
    expect(page.get_by_label("I would like to be paid for my time")).to_be_checked()
    page.keyboard.press("Tab")  # how to be paid: the checked radio ("the full amount")
    page.keyboard.press("ArrowDown")  # a lower amount
    expect(page.get_by_label("A lower amount, which I give below")).to_be_checked()
    page.keyboard.press("Tab")  # the lower amount
    page.keyboard.type("15")
    page.keyboard.press("Tab")  # the charity's name
    page.keyboard.press("Tab")  # register (the honeypot is not in the tab order)
    expect(page.get_by_role("button", name="Register")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")


def test_the_page_works_with_javascript_turned_off(chromium, live_server, db, clock):
    from playwright.sync_api import expect

    session_id = make_session(db, clock, kind="cuppa", title="Co-Pro Cuppa")
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/register/{session_id}")
        page.get_by_label("First name").fill("Cy")
        page.get_by_label("Email address").fill("cy@example.org")
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    finally:
        context.close()


def re_description(text):
    import re

    return re.compile(re.escape(text))
