"""The card update's exact records: what the audit trail keeps, the keys
Stripe receives (each Save card its own SetupIntent; one card update one
set of writes), and where each subscription's payment method is changed
(issue 27: survivors of mutation testing of billing/cards.py). Against
localstripe, which records the Idempotency-Key of every write."""

import pytest
from django.core import mail

from billing.cards import (
    PLACE_HUB,
    PLACE_PAYPAL,
    card_open_invoice,
    card_update_place,
    subscription_owes,
)
from billing.models import AuditEvent, Subscription
from tests.factories import SubscriptionFactory
from tests.support.localstripe_requests import stripe_writes
from tests.support.processor_fixtures import (
    hub_setup_intent,
    stripe_confirm_setup_intent,
    stripe_subscription,
)

BASE = "/northwind/updateinfo/subscriptions"


@pytest.fixture
def stripe_sub(stripe_vendor, alice):
    return stripe_subscription(alice)


def test_a_card_update_is_recorded_with_the_card_before_and_after(
    alice_client, stripe_sub, stripe_api, django_capture_on_commit_callbacks
):
    intent_id = hub_setup_intent(alice_client, stripe_sub)
    stripe_confirm_setup_intent(stripe_api, intent_id, "pm_card_mastercard")
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"{BASE}/{stripe_sub.pk}/card/", {"setup_intent": intent_id})
    [event] = AuditEvent.objects.filter(action="card.updated")
    assert event.details == {
        "previous": {"brand": "visa", "last4": "4242"},
        "brand": "mastercard",
        "last4": "4444",
    }
    assert (event.actor, event.customer, event.subscription) == (
        "customer",
        stripe_sub.customer,
        stripe_sub,
    )
    stored = Subscription.objects.get(pk=stripe_sub.pk)
    # The expiry Stripe holds for the new card, not the old card's.
    assert (stored.card_exp_month, stored.card_exp_year) != (0, 0)
    assert stored.card_exp_month in range(1, 13) and stored.card_exp_year >= 2026
    [email] = mail.outbox
    assert email.to == ["alice@example.com"] and "ending in 4444" in email.body


def test_the_keys_stripe_receives_for_setups_and_the_update(alice_client, stripe_sub, stripe_api):
    stripe_writes(stripe_api, clear=True)
    first = hub_setup_intent(alice_client, stripe_sub)
    second = hub_setup_intent(alice_client, stripe_sub)  # Save card pressed again
    stripe_confirm_setup_intent(stripe_api, second, "pm_card_mastercard")
    alice_client.post(f"{BASE}/{stripe_sub.pk}/card/", {"setup_intent": second})
    writes = stripe_writes(stripe_api)
    setups = [w["idempotency_key"] for w in writes if w["path"] == "/v1/setup_intents"]
    # Each press its own SetupIntent: a repeated key would replay the first.
    assert len(setups) == 2 and len(set(setups)) == 2 and first != second
    assert all(key.startswith(f"hub-setup-{stripe_sub.pk}-") for key in setups)
    keys = {w["idempotency_key"] for w in writes} - set(setups) - {""}
    assert keys == {
        f"hub-card-{stripe_sub.pk}-{second}-customer",
        f"hub-card-{stripe_sub.pk}-{second}-subscription",
    }


@pytest.mark.parametrize(
    ("status", "processor", "place"),
    [
        ("active", "stripe", PLACE_HUB),
        ("trialing", "stripe", PLACE_HUB),
        ("past_due", "stripe", PLACE_HUB),
        ("incomplete", "stripe", PLACE_HUB),
        ("active", "paypal", PLACE_PAYPAL),
        ("past_due", "paypal", PLACE_PAYPAL),
        ("canceled", "stripe", ""),
        ("paused", "stripe", ""),
        ("canceled", "paypal", ""),
        ("active", "manual", ""),  # nothing charges a card
    ],
)
def test_where_a_payment_method_is_changed(alice, status, processor, place):
    sub = SubscriptionFactory(customer=alice, status=status, processor=processor)
    assert card_update_place(sub) == place


@pytest.mark.parametrize(
    ("status", "processor", "failed_payments", "owes"),
    [
        ("past_due", "stripe", False, True),
        ("incomplete", "stripe", False, True),
        ("active", "stripe", True, True),
        ("active", "stripe", False, False),
        ("trialing", "stripe", False, False),
        ("past_due", "paypal", True, False),  # paid at PayPal, never here
        ("canceled", "stripe", True, False),
    ],
)
def test_who_is_offered_pay_now(alice, status, processor, failed_payments, owes):
    sub = SubscriptionFactory(customer=alice, status=status, processor=processor)
    assert subscription_owes(sub, failed_payments=failed_payments) is owes


def test_no_open_invoice_is_offered_when_stripe_cannot_say(alice, stripe_vendor, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    sub = SubscriptionFactory(customer=alice, processor_customer_id="cus_x", status="past_due")
    assert card_open_invoice(subscription=sub) is None


@pytest.mark.parametrize(
    ("stored", "page", "expected"),
    [("", "fr", "fr"), ("de", "fr", "de"), ("", "", "en")],
)
def test_the_card_updated_email_speaks_the_customers_choice_else_the_pages(
    vendor, alice, stored, page, expected
):
    from billing.cards import card_updated_notify

    vendor.languages = ["en", "de", "fr"]
    vendor.save()
    alice.language = stored
    alice.save()
    sub = SubscriptionFactory(customer=alice, card_brand="mastercard", card_last4="4444")
    card_updated_notify(subscription=sub, language=page)
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == expected
    assert "Alice Adams" in email.body


def test_paypals_page_is_never_offered_for_a_card_the_hub_changes(alice, stripe_vendor):
    from billing.cards import card_paypal_manage_url
    from billing.processors.adapters.base import MESSAGE_REFUSED, ProcessorError

    sub = SubscriptionFactory(customer=alice, processor="stripe")
    with pytest.raises(ProcessorError) as refused:
        card_paypal_manage_url(subscription=sub)
    assert refused.value.code == "invalid"
    assert str(refused.value.message) == str(MESSAGE_REFUSED)


def test_paying_reads_stripes_dates_back_and_keeps_what_was_saved_meanwhile(stripe_vendor, alice):
    from datetime import UTC, datetime

    from billing.cards import card_invoice_retry
    from billing.processors.adapters import adapter_for

    sub = stripe_subscription(alice)
    stale = Subscription.objects.get(pk=sub.pk)
    stale.current_period_end = datetime(2020, 1, 1, tzinfo=UTC)
    stale.next_payment_at = None
    stale.status = "past_due"
    # A webhook records a new card while the customer presses Pay now.
    Subscription.objects.filter(pk=sub.pk).update(card_last4="1111", cancel_reason="meanwhile")
    assert card_invoice_retry(subscription=stale, request=None) is None  # nothing open
    remote = adapter_for(vendor=stripe_vendor, processor="stripe").subscription_get(
        subscription_id=sub.processor_id
    )
    row = Subscription.objects.get(pk=sub.pk)
    assert row.status == remote.status == "active"
    assert row.current_period_end == remote.current_period_end is not None
    assert row.next_payment_at == remote.next_payment_at is not None
    assert (row.card_last4, row.cancel_reason) == ("1111", "meanwhile")


def test_a_setup_intent_with_a_card_but_not_confirmed_changes_nothing(
    alice_client, stripe_sub, stripe_api
):
    """A card attached to the SetupIntent whose confirmation (3-D Secure,
    say) never finished is not the subscription's card."""
    import requests

    intent_id = hub_setup_intent(alice_client, stripe_sub)
    updated = requests.post(
        f"{stripe_api}/v1/setup_intents/{intent_id}",
        data={"payment_method": "pm_card_mastercard"},
        auth=("sk_test_northwind", ""),
        timeout=5,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] != "succeeded" and updated.json()["payment_method"]
    response = alice_client.post(f"{BASE}/{stripe_sub.pk}/card/", {"setup_intent": intent_id})
    # In the page's error paragraph (the words are also in the form's script).
    assert (
        'aria-live="assertive">Your card could not be saved, so nothing was changed.'
        in response.text
    )
    assert Subscription.objects.get(pk=stripe_sub.pk).card_last4 == "4242"
    assert not AuditEvent.objects.filter(action="card.updated").exists()


def test_a_card_update_on_a_french_page_is_confirmed_in_french_and_audited_with_the_address(
    alice_client, stripe_sub, stripe_api, django_capture_on_commit_callbacks
):
    stripe_sub.vendor.languages = ["en", "fr"]
    stripe_sub.vendor.save()
    intent_id = hub_setup_intent(alice_client, stripe_sub)
    stripe_confirm_setup_intent(stripe_api, intent_id, "pm_card_mastercard")
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            f"{BASE}/{stripe_sub.pk}/card/",
            {"setup_intent": intent_id},
            REMOTE_ADDR="203.0.113.13",
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == "fr"
    event = AuditEvent.objects.get(action="card.updated")
    assert event.ip == "203.0.113.13"
