from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot


def test_the_sign_in_page_renders_in_chromium_with_a_working_skip_link(page):
    page.goto("/staff/sessions")
    expect(page).to_have_url("/staff/sign-in?next=/staff/sessions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    screenshot(page, "staff-sign-in")


def test_the_sign_in_page_has_no_serious_accessibility_violations(page):
    page.goto("/staff/sign-in")
    assert axe_violations(page) == []
