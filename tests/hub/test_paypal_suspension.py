"""A PayPal subscription PayPal suspended itself after failed renewals
(issue 29, point 6): the hub shows it unpaid with the way to pay on PayPal,
and "Keep my subscription" (activate: 422 SUBSCRIPTION_CANNOT_BE_ACTIVATED)
says plainly what to do instead of "the processor refused this change"."""

import pytest
import requests

from billing.processors.adapters import adapter_for
from billing.processors.paypal_sync import paypal_subscription_sync
from billing.processors.stripe_sync import Effects
from tests.conftest import sign_in
from tests.support.processor_fixtures import paypal_subscription

BASE = "/northwind/updateinfo/subscriptions"


@pytest.fixture
def suspended(paypal_vendor, paypal_api, alice):
    """Alice's PayPal subscription after three failed renewals (the plan's
    threshold), read back into our rows."""
    subscription = paypal_subscription(alice, paypal_api)
    for _ in range(3):
        requests.post(
            f"{paypal_api}/_fake/subscriptions/{subscription.processor_id}/renew",
            json={"status": "FAILED"},
            timeout=5,
        ).raise_for_status()
    paypal_subscription_sync(
        vendor=paypal_vendor,
        adapter=adapter_for(vendor=paypal_vendor, processor="paypal"),
        subscription_id=subscription.processor_id,
        effects=Effects(),
    )
    subscription.refresh_from_db()
    return subscription


def test_it_shows_the_failures_and_the_way_to_pay_on_paypal(alice_client, suspended):
    assert suspended.status == "past_due"

    html = alice_client.get(f"{BASE}/").content.decode()

    assert "3 payments failed" in html
    assert "choose Manage on PayPal below and pay the amount due" in html
    assert f'href="{BASE}/{suspended.pk}/card/">Manage on PayPal' in html


def test_keep_after_paypals_suspension_says_how_to_pay(alice_client, suspended, paypal_api):
    alice_client.post(f"{BASE}/{suspended.pk}/cancel/", {})  # for the period end
    suspended.refresh_from_db()
    assert suspended.cancel_at_period_end

    response = alice_client.post(f"{BASE}/{suspended.pk}/keep/", follow=True)

    assert response.redirect_chain == [(f"{BASE}/{suspended.pk}/card/", 302)]
    html = response.content.decode()
    assert "PayPal stopped this subscription because its payments failed" in html
    assert f'href="{paypal_api}/myaccount/autopay/"' in html  # Manage on PayPal
    suspended.refresh_from_db()
    assert suspended.cancel_at_period_end  # nothing changed here: PayPal did not agree


def test_another_customer_cannot_keep_it(client, bob, suspended):
    sign_in(client, bob)
    assert client.post(f"{BASE}/{suspended.pk}/keep/").status_code == 404
