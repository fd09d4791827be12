"""Fixtures that connect the persona vendor to the local processor fakes:
localstripe (the `localstripe` fixture) and our fake PayPal (`fake_paypal`).
Imported into tests/conftest.py."""

from decimal import Decimal

import pytest
import requests


@pytest.fixture
def stripe_api(settings, localstripe):
    """The Stripe SDK and Stripe.js pointed at this run's localstripe."""
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    return localstripe


@pytest.fixture
def stripe_vendor(vendor, stripe_api):
    """Northwind, connected to localstripe."""
    vendor.stripe_secret_key = "sk_test_northwind"
    vendor.stripe_publishable_key = "pk_test_northwind"
    vendor.save()
    return vendor


@pytest.fixture
def paypal_api(settings, fake_paypal):
    settings.PAYPAL_API_BASE = fake_paypal
    requests.post(f"{fake_paypal}/_fake/reset", timeout=5).raise_for_status()
    return fake_paypal


@pytest.fixture
def paypal_vendor(vendor, paypal_api):
    """Northwind, connected to the fake PayPal."""
    vendor.paypal_client_id = "northwind-client"
    vendor.paypal_client_secret = "northwind-secret"
    vendor.save()
    return vendor


def stripe_subscription(customer, **kwargs):
    """A subscription started at localstripe for `customer` and recorded here."""
    from billing.provisioning import stripe_subscription_provision

    kwargs.setdefault("product", "Pro Membership")
    kwargs.setdefault("amount", Decimal("29.00"))
    return stripe_subscription_provision(customer=customer, **kwargs)


def paypal_subscription(customer, base_url: str, **fields):
    """A subscription created in the fake PayPal for `customer`, recorded here."""
    from billing.provisioning import subscription_link_remote

    body = {
        "status": "ACTIVE",
        "subscriber": {
            "email_address": customer.email,
            "payer_id": f"PAYER{customer.pk:06d}",
            "name": {"given_name": customer.name or "Pat", "surname": ""},
        },
        **fields,
    }
    response = requests.post(f"{base_url}/_fake/subscriptions", json=body, timeout=5)
    response.raise_for_status()
    return subscription_link_remote(
        customer=customer, processor="paypal", processor_id=response.json()["id"]
    )


def paypal_calls(base_url: str) -> list[dict]:
    response = requests.get(f"{base_url}/_fake/calls", timeout=5)
    response.raise_for_status()
    return response.json()


def stripe_confirm_setup_intent(base_url: str, setup_intent_id: str, payment_method: str) -> None:
    """Confirm a SetupIntent as Stripe.js would in the browser (tests that do
    not drive a browser): straight at localstripe, with a test card."""
    response = requests.post(
        f"{base_url}/v1/setup_intents/{setup_intent_id}/confirm",
        data={"payment_method": payment_method},
        auth=("sk_test_northwind", ""),
        timeout=5,
    )
    response.raise_for_status()


def hub_setup_intent(client, subscription) -> str:
    """What the card page's script does when the customer presses Save card:
    ask the hub for a SetupIntent (a POST), and return its id."""
    path = f"{subscription.vendor.hub_path}subscriptions/{subscription.pk}/card/setup/"
    response = client.post(path)
    assert response.status_code == 200, response.content
    return response.json()["client_secret"].split("_secret_")[0]


@pytest.fixture
def setup_intents_created(monkeypatch):
    """The SetupIntents the hub asked Stripe (localstripe) for during the
    test. It counts, it does not mock: the real call still runs (the live
    server of the browser tests runs in this process too)."""
    from billing.processors.adapters.stripe import StripeAdapter

    created: list[str] = []
    real = StripeAdapter.setup_intent_create

    def counting(self, **kwargs):
        intent = real(self, **kwargs)
        created.append(intent.id)
        return intent

    monkeypatch.setattr(StripeAdapter, "setup_intent_create", counting)
    return created
