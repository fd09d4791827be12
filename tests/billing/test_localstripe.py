"""The localstripe fixture the payments work builds on: a private fake
Stripe on 127.0.0.1 that the official SDK talks to."""

import urllib.request

import stripe


def test_the_official_sdk_talks_to_the_private_localstripe(localstripe):
    assert localstripe.startswith("http://127.0.0.1:")
    client = stripe.StripeClient("sk_test_hub", base_addresses={"api": localstripe})
    created = client.v1.customers.create(params={"email": "alice@example.com"})
    fetched = client.v1.customers.retrieve(created.id)
    assert fetched.email == "alice@example.com"
    method = client.v1.payment_methods.attach("pm_card_visa", params={"customer": created.id})
    assert method.card.last4 == "4242"


def test_it_serves_the_fake_stripe_js_card_element(localstripe):
    with urllib.request.urlopen(f"{localstripe}/js.stripe.com/v3/", timeout=5) as response:
        script = response.read().decode()
    assert "confirmCardSetup" in script
