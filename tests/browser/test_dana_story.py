"""dana's whole story, the demo's richest (README "Things to try"), in
Chromium on the seeded demo at localstripe: her renewal was declined at the
fake for real; the card on file is declined again; she puts in a working
card and pays the open invoice. No page on the way is a 404 or a dead end."""

import re

import pytest

from billing.models import AuditEvent, Customer
from billing.processors.adapters import adapter_for
from tests.support.browser import browser_sign_in

pytestmark = pytest.mark.browser


def fill_card(page, number: str) -> None:
    card = page.locator("#card-element")
    card.locator("input").first.wait_for()
    for placeholder, value in [
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "34"),
        ("cvc", "123"),
        ("postal_code", "SW1A 1AA"),
    ]:
        card.get_by_placeholder(placeholder).fill(value)


def test_dana_pays_her_declined_renewal_with_a_new_card(page, live_server, demo):
    dana = Customer.objects.get(vendor__slug="demo", email="dana@example.com")
    subscription = dana.subscriptions.get()
    stripe = adapter_for(vendor=dana.vendor, processor="stripe")
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status))
    browser_sign_in(page, live_server, dana)

    # Stripe holds her subscription past due, and the hub says so on the
    # dashboard; Subscriptions shows the failed payment and what to do.
    assert subscription.status == "past_due"
    page.goto(f"{live_server.url}/demo/updateinfo/")
    assert "The last payment with this card failed." in page.content()
    page.goto(f"{live_server.url}/demo/updateinfo/subscriptions/")
    assert "A payment failed" in page.content()
    page.get_by_role("link", name=re.compile("Pay now")).click()

    # The pay page: the open invoice, and the card on file is declined again.
    page.wait_for_url("**/pay/")
    assert "is waiting to be paid" in page.content()
    page.get_by_role("button", name="Pay $29.00 now").click()
    alert = page.get_by_role("alert")
    assert "Your bank declined this card, so nothing was changed." in alert.inner_text()
    assert "Nothing was charged." in alert.inner_text()
    assert stripe.invoice_open_for_subscription(subscription_id=subscription.processor_id)

    # Another card, then the payment with it from the confirmation page.
    page.get_by_role("link", name="Use another card").click()
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url("**/card/updated/")
    assert "ending in 4242" in page.locator(".alert--success").inner_text()
    page.get_by_role("button", name="Pay $29.00 now").click()
    page.wait_for_url("**/subscriptions/")
    assert "Thank you: the payment went through." in page.locator(".messages").inner_text()

    # Stripe has nothing open any more and the subscription runs; coming back
    # to the pay page says so instead of a 404.
    assert stripe.invoice_open_for_subscription(subscription_id=subscription.processor_id) is None
    assert stripe.subscription_get(subscription_id=subscription.processor_id).status == "active"
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert AuditEvent.objects.get(action="payment.retried").details["status"] == "paid"
    page.goto(f"{live_server.url}/demo/updateinfo/subscriptions/{subscription.pk}/pay/")
    assert re.search(r"Nothing is waiting to be paid for Pro Membership", page.content())
    assert 404 not in statuses and not [s for s in statuses if s >= 500]
