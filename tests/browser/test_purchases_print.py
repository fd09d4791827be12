"""The print view of the whole purchase history in Chromium: every row, the
print dialog opened by script only when script runs, nothing but the table
on paper, and no axe finding (issue 28: any impact) at desktop and phone widths."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.test_hub_pages import screenshot
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory
from tests.support.browser import axe_violations, browser_sign_in

pytestmark = pytest.mark.browser

DESKTOP_1280 = {"width": 1280, "height": 800}
PHONE_390 = {"width": 390, "height": 844}

# Counts window.print() calls instead of opening a dialog the test cannot close.
COUNT_PRINTS = "window.__prints = 0; window.print = function () { window.__prints += 1; };"


@pytest.fixture
def long_history(alice):
    """More rows than one page of the history (25), a failed and a refunded one."""
    subscription = SubscriptionFactory(customer=alice, product="Pro Membership")
    order = OrderFactory(customer=alice, product="Pro Membership", number="NW-1001")
    now = timezone.now()
    for i in range(30):
        PaymentFactory(
            order=order, subscription=subscription, created_at=now - timedelta(days=30 * i)
        )
    PaymentFactory(order=order, subscription=subscription, status="failed")
    PaymentFactory(
        order__customer=alice,
        order__product="The Complete Photography Masterclass: Light, Composition and Editing",
        order__number="NW-1002",
        amount=Decimal("1249.00"),
        status="refunded",
    )
    return alice


@pytest.mark.parametrize("viewport", [DESKTOP_1280, PHONE_390], ids=["1280", "390"])
def test_the_print_view_shows_every_row_and_passes_axe(
    live_server, page, long_history, viewport, tmp_path
):
    page.set_viewport_size(viewport)
    page.add_init_script(COUNT_PRINTS)
    browser_sign_in(page, live_server, long_history)
    page.goto(f"{live_server.url}/northwind/updateinfo/purchases/")
    assert page.locator("table.purchases tbody tr").count() == 25
    assert page.locator(".purchases__count").inner_text() == "32 purchases"
    page.get_by_role("link", name="Print").click()
    page.wait_for_url("**/purchases/print/?sort=-date")
    page.wait_for_load_state("load")
    assert page.locator("table.purchases tbody tr").count() == 32
    assert page.evaluate("window.__prints") == 1  # the dialog opened by itself
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
    screenshot(page, tmp_path, f"{viewport['width']}-purchases-print")
    # Nothing reaches past the screen's edge, on a phone too.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # A failed payment: a dash on screen, words for a screen reader.
    failed = page.locator("table.purchases tbody tr", has_text="Failed")
    assert failed.locator(".purchases__no-invoice").inner_text() == "—"
    assert failed.get_by_text("No invoice").count() == 1
    # The Print button prints again.
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__prints") == 2


def test_on_paper_it_is_the_table_alone(live_server, page, long_history, tmp_path):
    page.add_init_script(COUNT_PRINTS)
    browser_sign_in(page, live_server, long_history)
    page.goto(f"{live_server.url}/northwind/updateinfo/purchases/print/")
    page.emulate_media(media="print")
    assert page.locator("table.purchases thead").is_visible()
    assert page.locator("table.purchases tbody tr").count() == 32
    assert page.locator(".purchases__count").is_visible()
    for hidden in (".hub-nav", ".signout", ".page-head__actions", ".site-footer"):
        assert not page.locator(hidden).is_visible(), hidden
    screenshot(page, tmp_path, "paper-purchases-print")


def test_without_javascript_it_is_a_plain_page(live_server, browser, long_history):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, live_server, long_history)
    page.goto(f"{live_server.url}/northwind/updateinfo/purchases/print/")
    assert page.locator("table.purchases tbody tr").count() == 32
    assert not page.get_by_role("button", name="Print").is_visible()  # needs script
    page.get_by_role("link", name="Back to purchase history").click()
    page.wait_for_url("**/purchases/?sort=-date")
    context.close()
