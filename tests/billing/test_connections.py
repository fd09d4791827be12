"""Processor connections (issue 11, point 3): Test connection against
localstripe and the fake PayPal, the webhook endpoints and events shown to
paste, secrets shown by their last four only, owners only."""

import uuid

import pytest
import requests
from django.test import Client
from django.urls import reverse

from billing.processors.connections import (
    PAYPAL_EVENTS,
    STRIPE_EVENTS,
    connection_test,
    webhook_url,
)


@pytest.fixture
def site(settings):
    """A SITE_URL of this test's own, so localstripe's webhook registrations
    (which live for the whole run) of other tests never match ours. Port 9
    refuses connections at once, should localstripe deliver there."""
    settings.SITE_URL = f"http://127.0.0.1:9/t{uuid.uuid4().hex[:8]}"
    return settings.SITE_URL


def stripe_register(base: str, url: str, events: list[str] | None) -> None:
    data = {"url": url, "secret": "whsec_test"}
    if events is not None:
        data["events[]"] = events
    response = requests.post(f"{base}/_config/webhooks/{uuid.uuid4().hex}", data=data, timeout=5)
    response.raise_for_status()


def paypal_register(base: str, url: str, events: list[str]) -> str:
    response = requests.post(
        f"{base}/_fake/webhooks", json={"url": url, "events": events}, timeout=5
    )
    response.raise_for_status()
    return response.json()["id"]


def test_a_complete_stripe_connection_reports_working(site, stripe_vendor, stripe_api):
    stripe_vendor.stripe_webhook_secret = "whsec_northwind"
    stripe_vendor.save()
    stripe_register(
        stripe_api, webhook_url(vendor=stripe_vendor, processor="stripe"), STRIPE_EVENTS
    )
    result = connection_test(vendor=stripe_vendor, processor="stripe")
    assert result.ok, result.checks
    messages = [m for _, m in result.checks]
    assert "The secret key works (test mode)." in messages
    assert "The publishable key matches the secret key." in messages
    assert f"The webhook endpoint {site}/webhooks/stripe/northwind/ is registered." in messages


def test_an_endpoint_sending_every_event_is_enough(site, stripe_vendor, stripe_api):
    stripe_vendor.stripe_webhook_secret = "whsec_northwind"
    stripe_vendor.save()
    stripe_register(stripe_api, webhook_url(vendor=stripe_vendor, processor="stripe"), None)
    assert connection_test(vendor=stripe_vendor, processor="stripe").ok


def test_it_names_the_events_the_endpoint_does_not_send(site, stripe_vendor, stripe_api):
    url = webhook_url(vendor=stripe_vendor, processor="stripe")
    stripe_register(stripe_api, url, ["invoice.paid"])
    result = connection_test(vendor=stripe_vendor, processor="stripe")
    assert not result.ok
    problems = [m for ok, m in result.checks if not ok]
    assert any(
        "does not send: invoice.payment_failed, customer.subscription.created" in m
        for m in problems
    )
    assert any("No webhook signing secret" in m for m in problems)


def test_it_says_when_no_endpoint_is_registered(site, stripe_vendor):
    result = connection_test(vendor=stripe_vendor, processor="stripe")
    assert (
        False,
        f"No webhook endpoint sends to {site}/webhooks/stripe/northwind/ yet: "
        "add it with the events listed below.",
    ) in result.checks


def test_a_refused_stripe_key_is_said_plainly(site, stripe_vendor):
    stripe_vendor.stripe_secret_key = "xk_not_a_key"
    stripe_vendor.save()
    result = connection_test(vendor=stripe_vendor, processor="stripe")
    assert not result.ok
    assert len(result.checks) == 1
    assert result.checks[0][1].startswith("Stripe refused the secret key.")


def test_a_publishable_key_of_the_other_mode_is_caught(site, stripe_vendor):
    stripe_vendor.stripe_publishable_key = "pk_live_123"
    stripe_vendor.save()
    result = connection_test(vendor=stripe_vendor, processor="stripe")
    assert (
        False,
        "The publishable key is not of the same mode as the secret key (test mode).",
    ) in result.checks


def test_an_unconnected_processor_says_so(vendor):
    for processor in ("stripe", "paypal"):
        result = connection_test(vendor=vendor, processor=processor)
        assert result.checks == [
            (False, "Not connected: no credentials are saved for this processor yet.")
        ]


def test_a_complete_paypal_connection_reports_working(site, paypal_vendor, paypal_api):
    webhook_id = paypal_register(
        paypal_api, webhook_url(vendor=paypal_vendor, processor="paypal"), PAYPAL_EVENTS
    )
    paypal_vendor.paypal_webhook_id = webhook_id
    paypal_vendor.save()
    result = connection_test(vendor=paypal_vendor, processor="paypal")
    assert result.ok, result.checks
    assert result.checks[0] == (True, "The client id and secret work in PayPal's sandbox.")


def test_refused_paypal_credentials_are_said_plainly(site, paypal_vendor):
    paypal_vendor.paypal_client_secret = "wrong-secret"
    paypal_vendor.save()
    result = connection_test(vendor=paypal_vendor, processor="paypal")
    assert not result.ok and len(result.checks) == 1
    assert (
        "PayPal refused the client id and secret in its sandbox environment" in result.checks[0][1]
    )


def test_an_unknown_paypal_webhook_id_is_caught(site, paypal_vendor):
    paypal_vendor.paypal_webhook_id = "4NOTTHERE0000001X"
    paypal_vendor.save()
    result = connection_test(vendor=paypal_vendor, processor="paypal")
    assert (False, "PayPal has no webhook with the saved webhook id.") in result.checks


def test_paypal_events_include_expiry_and_chargebacks():
    assert "BILLING.SUBSCRIPTION.EXPIRED" in PAYPAL_EVENTS
    assert "PAYMENT.SALE.REVERSED" in PAYPAL_EVENTS
    # Refunds made through the v2 payments API (the hub's own) and their
    # chargebacks are reported as capture events.
    assert {"PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"} <= set(PAYPAL_EVENTS)


def test_a_webhook_registered_without_the_new_events_is_caught(site, paypal_vendor, paypal_api):
    older = [
        e
        for e in PAYPAL_EVENTS
        if e
        not in {
            "BILLING.SUBSCRIPTION.EXPIRED",
            "PAYMENT.SALE.REVERSED",
            "PAYMENT.CAPTURE.REFUNDED",
            "PAYMENT.CAPTURE.REVERSED",
        }
    ]
    paypal_vendor.paypal_webhook_id = paypal_register(
        paypal_api, webhook_url(vendor=paypal_vendor, processor="paypal"), older
    )
    paypal_vendor.save()
    result = connection_test(vendor=paypal_vendor, processor="paypal")
    assert not result.ok
    [missing] = [m for ok, m in result.checks if not ok]
    assert missing.endswith(
        "does not send: PAYMENT.SALE.REVERSED, PAYMENT.CAPTURE.REFUNDED, "
        "PAYMENT.CAPTURE.REVERSED, BILLING.SUBSCRIPTION.EXPIRED."
    )


def test_a_webhook_id_paypal_refuses_is_named_as_the_problem(site, paypal_vendor, paypal_api):
    paypal_vendor.paypal_webhook_id = "WH-NORTHWIND-1"  # PayPal's ids are letters and digits
    paypal_vendor.save()
    result = connection_test(vendor=paypal_vendor, processor="paypal")
    assert not result.ok
    assert result.checks[-1] == (
        False,
        "PayPal refuses the saved webhook id, so every event it sends is turned away. "
        "Copy the Webhook ID (letters and digits only) again from your PayPal app's webhooks.",
    )


def test_a_paypal_webhook_to_another_address_is_caught(site, paypal_vendor, paypal_api):
    paypal_vendor.paypal_webhook_id = paypal_register(
        paypal_api, "https://elsewhere.example/hook", PAYPAL_EVENTS
    )
    paypal_vendor.save()
    result = connection_test(vendor=paypal_vendor, processor="paypal")
    assert not result.ok
    assert any("No webhook endpoint sends to" in m for ok, m in result.checks if not ok)


# --- in the admin ------------------------------------------------------------------------


def connection_url(vendor, processor="stripe") -> str:
    return reverse("admin:vendors_vendor_test_connection", args=[vendor.pk, processor])


def test_an_owner_tests_the_connection_from_the_settings_page(
    site, staff_client, stripe_vendor, stripe_api
):
    stripe_vendor.stripe_webhook_secret = "whsec_northwind"
    stripe_vendor.save()
    stripe_register(
        stripe_api, webhook_url(vendor=stripe_vendor, processor="stripe"), STRIPE_EVENTS
    )
    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[stripe_vendor.pk]))
    assert f'action="{connection_url(stripe_vendor)}"' in page.text
    response = staff_client.post(connection_url(stripe_vendor), follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert "Stripe connection works." in texts
    assert "The secret key works (test mode)." in texts


def test_the_settings_page_shows_the_webhook_urls_and_events(site, staff_client, vendor):
    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk])).text
    assert f'value="{site}/webhooks/stripe/northwind/"' in page
    assert f'value="{site}/webhooks/paypal/northwind/"' in page
    assert 'data-copy="#stripe-webhook-url"' in page
    for event in STRIPE_EVENTS + PAYPAL_EVENTS:
        assert f"<code>{event}</code>" in page


def test_secrets_show_only_their_last_four(staff_client, vendor):
    vendor.stripe_secret_key = "sk_test_abcdefghij_WXYZ"
    vendor.stripe_webhook_secret_previous = "whsec_previous_PQRS"
    vendor.paypal_client_secret = "paypal-secret-LMNO"
    vendor.save()
    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk])).text
    for whole, last4 in (
        ("sk_test_abcdefghij_WXYZ", "WXYZ"),
        ("whsec_previous_PQRS", "PQRS"),
        ("paypal-secret-LMNO", "LMNO"),
    ):
        assert whole not in page
        assert f"Stored, ending in …{last4}" in page
    assert page.count("Not set") == 1  # the current webhook secret


def test_test_connection_is_for_owners_only(stripe_vendor, northwind_support, acme_staff):
    for user in (northwind_support, acme_staff):
        client = Client()
        client.force_login(user)
        assert client.post(connection_url(stripe_vendor)).status_code == 404
    # Signed out: the admin's sign-in page.
    assert Client().post(connection_url(stripe_vendor)).status_code == 302


def test_test_connection_is_a_post(staff_client, stripe_vendor):
    assert staff_client.get(connection_url(stripe_vendor)).status_code == 405


def test_an_unknown_processor_is_a_404(staff_client, vendor):
    assert staff_client.post(connection_url(vendor, "square")).status_code == 404
