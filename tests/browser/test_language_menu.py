"""The footer's language menu in Chromium: with JavaScript off, from the
keyboard alone, it switches the page's language and comes back to the same
page; axe finds nothing wrong with it."""

import pytest

from tests.factories import PaymentFactory
from tests.support.browser import DESKTOP, PHONE, axe_violations, browser_sign_in, overflows

pytestmark = pytest.mark.browser


@pytest.fixture
def vendor(vendor):
    vendor.locale = "de"
    vendor.country = "DE"
    vendor.languages = ["de", "en", "fr", "es"]
    vendor.save()
    return vendor


def test_the_menu_switches_language_from_the_keyboard_without_javascript(
    live_server, browser, vendor, alice
):
    PaymentFactory.create_batch(2, order__customer=alice)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="de-DE")
    page = context.new_page()
    try:
        browser_sign_in(page, live_server, alice)
        page.goto(f"{live_server.url}{vendor.hub_path}purchases/?sort=price")
        assert page.locator("html").get_attribute("lang") == "de"
        menu = page.get_by_label("Sprache")  # the menu's label, in the page's German
        menu.focus()
        # A closed <select> moves its choice with the arrow keys: English,
        # Deutsch, Français, Español; from Deutsch, one down is Français.
        page.keyboard.press("ArrowDown")
        assert menu.input_value() == "fr"
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('form').className")
        assert focused == "language-menu"  # the menu's own button is next
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{live_server.url}{vendor.hub_path}purchases/?sort=price"
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert page.get_by_label("Langue").input_value() == "fr"  # now in French
        assert not overflows(page)
    finally:
        context.close()
    alice.refresh_from_db()
    assert alice.language == "fr"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_sign_in_page_with_its_menu_passes_axe(live_server, page, vendor, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}{vendor.hub_path}")
    assert page.locator("html").get_attribute("lang") == "en"  # Chromium asks for en-US
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.url == f"{live_server.url}{vendor.hub_path}"
    assert axe_violations(page) == []
    assert not overflows(page)
