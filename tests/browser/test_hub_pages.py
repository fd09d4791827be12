"""The signed-in hub pages in Chromium: axe-core finds no
violation (issue 28: A/AA, any impact), and nothing overflows a 390 px wide phone screen."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory
from tests.support.browser import DESKTOP, PHONE, axe_violations, browser_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def history(alice, vendor):
    """Alice with an address, a card on file and a history that fills pages."""
    vendor.instagram_url = "https://instagram.com/northwind.example"
    vendor.website_url = "https://northwind.example"
    vendor.save()
    alice.address_line1 = "12 Harbor Road"
    alice.city = "Portland"
    alice.postal_code = "97201"
    alice.state = "OR"
    alice.save()
    subscription = SubscriptionFactory(customer=alice, product="Pro Membership")
    order = OrderFactory(customer=alice, product="Pro Membership", number="NW-1001")
    now = timezone.now()
    for i in range(27):
        PaymentFactory(
            order=order, subscription=subscription, created_at=now - timedelta(days=30 * i)
        )
    PaymentFactory(
        order__customer=alice,
        order__product="The Complete Photography Masterclass: Light, Composition and Editing",
        order__number="NW-1002",
        amount=Decimal("1249.00"),
        status="refunded",
    )
    PaymentFactory(order=order, subscription=subscription, status="failed")
    return alice


def screenshot(page, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_hub_pages_pass_axe(live_server, page, history, viewport, tmp_path):
    page.set_viewport_size(viewport)
    browser_sign_in(page, live_server, history)
    hub = f"{live_server.url}/northwind/updateinfo/"
    failures = {}
    for name, path in [
        ("dashboard", ""),
        ("profile", "profile/"),
        ("purchases", "purchases/"),
        ("purchases-page-2", "purchases/?sort=price&page=2"),
        ("contact", "contact/"),
    ]:
        page.goto(hub + path)
        assert page.locator("h1").count() == 1, name
        failures[name] = axe_violations(page)
        screenshot(page, tmp_path, f"{viewport['width']}-{name}")
    page.goto(hub)
    page.get_by_role("link", name="Update my info").click()
    page.get_by_role("dialog").wait_for()
    failures["dialog"] = axe_violations(page)
    screenshot(page, tmp_path, f"{viewport['width']}-dialog")
    assert not any(failures.values()), failures


def test_the_pages_fit_a_phone(live_server, page, history, tmp_path):
    page.set_viewport_size(PHONE)
    browser_sign_in(page, live_server, history)
    hub = f"{live_server.url}/northwind/updateinfo/"
    for name, path in [
        ("dashboard", ""),
        ("profile", "profile/"),
        ("purchases", "purchases/"),
        ("contact", "contact/"),
    ]:
        page.goto(hub + path)
        screenshot(page, tmp_path, f"phone-{name}")
        assert no_horizontal_overflow(page), name
    page.goto(hub)
    page.get_by_role("link", name="Update my info").click()
    page.get_by_role("dialog").wait_for()
    screenshot(page, tmp_path, "phone-dialog")
    assert no_horizontal_overflow(page)


def test_update_my_info_in_the_dialog(live_server, page, history):
    browser_sign_in(page, live_server, history)
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    opener = page.get_by_role("link", name="Update my info")
    opener.click()
    dialog = page.get_by_role("dialog", name="Update my info")
    dialog.wait_for()  # it opens once its form has been fetched
    assert dialog.is_visible()
    assert dialog.get_by_label("Full name").evaluate("e => e === document.activeElement")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert opener.evaluate("e => e === document.activeElement")  # focus came back
    opener.click()
    dialog.get_by_label("Full name").fill("Alice B. Adams")
    dialog.get_by_label("Country").select_option("CA")
    # A Canadian address, as Canada checks them.
    dialog.get_by_label("City").fill("Toronto")
    dialog.get_by_label("Postal code").fill("M5V 2T6")
    dialog.get_by_label("State, province or region").fill("ON")
    dialog.get_by_role("button", name="Save my details").click()
    page.get_by_text("Your details are saved.").wait_for()
    assert page.url == f"{live_server.url}/northwind/updateinfo/"
    assert page.get_by_text("Hello, Alice B. Adams").is_visible()
    assert "Canada" in page.locator(".dashboard address").inner_text()
    history.refresh_from_db()
    assert (history.name, history.country) == ("Alice B. Adams", "CA")


def test_update_my_info_works_without_javascript(live_server, browser, history):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, live_server, history)
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    page.get_by_role("link", name="Update my info").click()
    page.wait_for_url(f"{live_server.url}/northwind/updateinfo/profile/")
    page.get_by_label("Email").fill("bad-email")
    page.get_by_role("button", name="Save my details").click()
    assert page.locator("#id_email_error").is_visible()
    page.get_by_label("Email").fill("alice.new@example.com")
    page.get_by_role("button", name="Save my details").click()
    page.wait_for_url(f"{live_server.url}/northwind/updateinfo/")
    # A new email waits for its confirmation link (issue 12, point 3).
    assert page.get_by_text("open the link we have just sent to the new address").is_visible()
    history.refresh_from_db()
    assert history.email != "alice.new@example.com"
    assert not page.get_by_role("dialog").is_visible()
    page.goto(f"{live_server.url}/northwind/updateinfo/purchases/")
    assert page.get_by_role("link", name="Download CSV").is_visible()
    # Print is a link to the whole history's print view: it works without JavaScript.
    page.get_by_role("link", name="Print").click()
    page.wait_for_url(f"{live_server.url}/northwind/updateinfo/purchases/print/?sort=-date")
    assert page.locator("table.purchases tbody tr").count() == 29
    context.close()


def test_the_hub_makes_no_third_party_requests(live_server, page, history):
    browser_sign_in(page, live_server, history)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    hub = f"{live_server.url}/northwind/updateinfo/"
    for path in ("", "profile/", "purchases/", "contact/"):
        page.goto(hub + path, wait_until="networkidle")
    assert requested
    assert all(url.startswith(live_server.url) for url in requested), requested


def test_the_history_prints_without_navigation_or_buttons(live_server, page, history):
    browser_sign_in(page, live_server, history)
    page.goto(f"{live_server.url}/northwind/updateinfo/purchases/")
    assert page.get_by_role("link", name="Print").is_visible()
    page.emulate_media(media="print")
    assert page.locator("table.purchases").is_visible()
    assert page.locator("table.purchases thead").is_visible()
    for hidden in (".hub-nav", ".signout", ".pagination", ".page-head__actions", ".site-footer"):
        assert not page.locator(hidden).is_visible(), hidden
