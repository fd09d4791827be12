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


def test_registering_an_endpoint_while_an_event_is_sent_breaks_no_send():
    """The fake's own race (tests/support/localstripe_patches.py): a send in
    flight iterates the registrations while a test registers another one."""
    import subprocess
    import sys

    script = (
        "from tests.support.localstripe_patches import apply; apply()\n"
        "from localstripe import server, webhooks\n"
        "server.register_webhook('a', 'http://127.0.0.1:9/a', 's', None)\n"
        "sending = iter(webhooks._webhooks.values()); next(sending)\n"
        "server.register_webhook('b', 'http://127.0.0.1:9/b', 's', None)\n"
        "list(sending)\n"
        "print(sorted(webhooks._webhooks))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['a', 'b']"
