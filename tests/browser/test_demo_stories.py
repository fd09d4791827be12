"""The demo's four stories (README "Things to try"), in Chromium, on the
seeded demo data at localstripe and the fake PayPal: what `make demo` shows a
newcomer keeps working."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import Customer
from tests.support.browser import browser_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db, settings, stripe_api, paypal_api):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False
    return lambda slug, email: Customer.objects.get(vendor__slug=slug, email=email)


def test_alex_updates_his_card_cancels_and_keeps_it(page, live_server, demo):
    alex = demo("demo", "alex@example.com")
    browser_sign_in(page, live_server, alex)
    page.goto(f"{live_server.url}/demo/updateinfo/subscriptions/")
    page.get_by_role("link", name=re.compile("Update card")).first.click()
    card = page.locator("#card-element")
    card.locator("input").first.wait_for()
    for placeholder, value in [
        ("number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "34"),
        ("cvc", "123"),
        ("postal_code", "97201"),
    ]:
        card.get_by_placeholder(placeholder).fill(value)
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url("**/card/updated/")
    assert "ending in 4242" in page.locator(".alert--success").inner_text()

    page.goto(f"{live_server.url}/demo/updateinfo/subscriptions/")
    page.get_by_role("link", name=re.compile("Cancel subscription")).first.click()
    page.get_by_role("button", name="Confirm cancellation").click()
    page.wait_for_url("**/cancel/done/")
    assert "It ends on" in page.locator(".alert--success").inner_text()
    page.get_by_role("button", name="Keep my subscription").click()
    assert "carries on as before" in page.locator(".messages").inner_text()


def test_blair_cancels_the_paypal_subscription(page, live_server, demo):
    browser_sign_in(page, live_server, demo("demo", "blair@example.com"))
    page.goto(f"{live_server.url}/demo/updateinfo/subscriptions/")
    assert page.get_by_role("link", name=re.compile("Manage on PayPal")).count() == 1
    page.get_by_role("link", name=re.compile("Cancel subscription")).first.click()
    page.get_by_role("button", name="Confirm cancellation").click()
    page.wait_for_url("**/cancel/done/")
    assert "is cancelled" in page.content()


def test_acme_offers_no_cancel_button(page, live_server, demo):
    browser_sign_in(page, live_server, demo("acme", "alex@example.com"))
    page.goto(f"{live_server.url}/acme/updateinfo/subscriptions/")
    # No cancel button in the hub; the public cancellation page (§ 312k BGB)
    # is linked instead, as the way to cancel there.
    assert page.locator("a[href*='/subscriptions/'][href*='/cancel/']").count() == 0
    assert page.locator("a[href$='/acme/updateinfo/cancel/']").count() >= 1


def test_casey_finds_her_refund_and_its_credit_note(page, live_server, demo):
    """Issue 21, point 11: casey's refund shows its amount and date, and the
    credit note the demo creates opens as a PDF from her invoice page."""
    casey = demo("demo", "casey@example.com")
    refunded = casey.payments.get(status="refunded")
    note = refunded.refunds.get().credit_note
    browser_sign_in(page, live_server, casey)
    page.goto(f"{live_server.url}/demo/updateinfo/purchases/")
    row = page.locator("table.purchases tbody tr", has_text="Lightroom Presets")
    assert "Refunded" in row.inner_text() and "$15.00" in row.inner_text()
    row.get_by_role("link", name=re.compile(refunded.invoice.number)).click()
    page.wait_for_url(f"**/invoices/{refunded.invoice.number}/")
    content = page.content()
    assert "Refunded on" in content and "−$15.00" in content
    link = page.get_by_role("link", name=f"Credit note {note.number} (PDF)")
    pdf = page.request.get(live_server.url + link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
