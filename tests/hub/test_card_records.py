"""The card update's exact records: what the audit trail keeps, the keys
Stripe receives (each Save card its own SetupIntent; one card update one
set of writes), and where each subscription's payment method is changed
(issue 27: survivors of mutation testing of billing/cards.py). Against
localstripe, which records the Idempotency-Key of every write."""

import pytest
import requests
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


# --- the bank refuses the card while it is made the subscription's ------------------------

AUTH = ("sk_test_northwind", "")


@pytest.fixture
def attach_declines(stripe_api):
    """Arm localstripe to decline the next attachment of a card (as a bank
    may when Stripe checks the card on attaching it); disarmed afterwards,
    as localstripe lives for the whole run."""

    def arm(*, code: str, decline_code: str = "", count: int = 1) -> None:
        requests.post(
            f"{stripe_api}/_test/decline_attach",
            data={"code": code, "decline_code": decline_code, "count": count},
            auth=AUTH,
            timeout=5,
        ).raise_for_status()

    yield arm
    arm(code="card_declined", count=0)


@pytest.mark.parametrize(
    ("decline_code", "words"),
    [
        ("do_not_honor", "Your bank declined this card, so nothing was changed. Try another card"),
        ("authentication_required", "Your bank could not confirm that this card is yours"),
    ],
)
def test_a_card_the_bank_refuses_on_attaching_is_explained_in_our_words_and_changes_nothing(
    alice_client, stripe_sub, stripe_api, attach_declines, decline_code, words
):
    """The card was confirmed, then left the customer at Stripe before the
    hub made it theirs (removed in Stripe's dashboard meanwhile): the hub
    attaches it again, and Stripe asks the bank again, which says no."""
    intent_id = hub_setup_intent(alice_client, stripe_sub)
    stripe_confirm_setup_intent(stripe_api, intent_id, "pm_card_mastercard")
    intent = requests.get(f"{stripe_api}/v1/setup_intents/{intent_id}", auth=AUTH, timeout=5)
    method_id = intent.json()["payment_method"]
    requests.post(
        f"{stripe_api}/v1/payment_methods/{method_id}/detach", auth=AUTH, timeout=5
    ).raise_for_status()
    attach_declines(code="card_declined", decline_code=decline_code)
    stripe_writes(stripe_api, clear=True)
    response = alice_client.post(f"{BASE}/{stripe_sub.pk}/card/", {"setup_intent": intent_id})
    assert response.status_code == 200
    assert f'aria-live="assertive">{words}' in response.text
    assert "Your card was declined." not in response.text  # Stripe's sentence
    assert 'name="setup_intent"' in response.text  # another card can be tried at once
    # Only the refused attachment: neither the subscription nor the customer
    # was told to use the card.
    keys = [w["idempotency_key"] for w in stripe_writes(stripe_api)]
    assert keys == [f"hub-card-{stripe_sub.pk}-{intent_id}-attach"]
    stored = Subscription.objects.get(pk=stripe_sub.pk)
    assert (stored.card_brand, stored.card_last4) == ("visa", "4242")
    assert not AuditEvent.objects.filter(action="card.updated").exists()
    assert mail.outbox == []


# --- Pay now: the card on file, one key per invoice, the record ---------------------------


@pytest.fixture
def past_due(stripe_vendor, alice):
    from hub.management.commands.seed_demo import stripe_renewal_decline

    return stripe_renewal_decline(stripe_subscription(alice, payment_method_id="pm_card_visa"))


def test_pay_now_charges_the_subscriptions_card_once_per_invoice_and_records_it(
    alice_client, past_due, stripe_api
):
    """The customer's default card at Stripe is the one that was declined;
    the subscription's card on file (the one the page shows) is another,
    working one: Pay now charges that one, under one key for the invoice."""
    from billing.processors.adapters import adapter_for

    attached = requests.post(
        f"{stripe_api}/v1/payment_methods/pm_card_mastercard/attach",
        data={"customer": past_due.customer.stripe_customer_id},
        auth=AUTH,
        timeout=5,
    )
    attached.raise_for_status()
    method_id = attached.json()["id"]
    Subscription.objects.filter(pk=past_due.pk).update(
        payment_method_id=method_id, card_brand="mastercard", card_last4="4444"
    )
    invoice = adapter_for(vendor=past_due.vendor, processor="stripe").invoice_open_for_subscription(
        subscription_id=past_due.processor_id
    )
    stripe_writes(stripe_api, clear=True)
    response = alice_client.post(
        f"{BASE}/{past_due.pk}/pay/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Pay-test/1.0"
    )
    assert response.status_code == 302
    [pay] = [w for w in stripe_writes(stripe_api) if w["path"].endswith("/pay")]
    assert pay["path"] == f"/v1/invoices/{invoice.id}/pay"
    assert pay["idempotency_key"] == f"hub-retry-{past_due.pk}-{invoice.id}"
    assert pay["params"]["payment_method"] == method_id
    assert Subscription.objects.get(pk=past_due.pk).status == "active"
    [event] = AuditEvent.objects.filter(action="payment.retried")
    assert (event.vendor, event.actor, event.customer, event.subscription, event.user) == (
        past_due.vendor,
        "customer",
        past_due.customer,
        past_due,
        None,
    )
    assert (event.ip, event.user_agent) == ("203.0.113.7", "Pay-test/1.0")
    assert event.details == {"invoice": invoice.id, "status": "paid"}


# --- refusals known before asking Stripe ---------------------------------------------------


@pytest.fixture
def paypal_sub(alice):
    return SubscriptionFactory(customer=alice, processor="paypal", processor_customer_id="cus_x")


@pytest.fixture
def no_stripe_customer(alice, stripe_vendor):
    assert not alice.stripe_customer_id
    return SubscriptionFactory(
        customer=alice, processor="stripe", status="past_due", processor_customer_id=""
    )


def test_a_paypal_subscription_never_gets_a_setup_intent_at_stripe(
    alice_client, paypal_sub, stripe_vendor, stripe_api
):
    """A Save card posted for a subscription PayPal charges (a stale page,
    or a crafted request): refused in our words, nothing made at Stripe."""
    from billing.processors.adapters.base import MESSAGE_REFUSED

    stripe_writes(stripe_api, clear=True)
    response = alice_client.post(f"{BASE}/{paypal_sub.pk}/card/setup/")
    assert response.status_code == 409
    assert response.json() == {"error": str(MESSAGE_REFUSED), "refused": True}
    assert stripe_writes(stripe_api) == []


def test_without_a_stripe_customer_no_card_is_set_up_and_nothing_is_paid(
    alice_client, no_stripe_customer, stripe_api
):
    from billing.cards import MESSAGE_NO_STRIPE_CUSTOMER

    stripe_writes(stripe_api, clear=True)
    setup = alice_client.post(f"{BASE}/{no_stripe_customer.pk}/card/setup/")
    assert setup.status_code == 409
    assert setup.json() == {"error": str(MESSAGE_NO_STRIPE_CUSTOMER), "refused": True}
    pay = alice_client.post(f"{BASE}/{no_stripe_customer.pk}/pay/")
    assert str(MESSAGE_NO_STRIPE_CUSTOMER) in pay.content.decode()
    assert stripe_writes(stripe_api) == []
    assert Subscription.objects.get(pk=no_stripe_customer.pk).status == "past_due"
    assert not AuditEvent.objects.exists()


def test_without_a_stripe_customer_every_card_service_refuses_for_good(no_stripe_customer):
    """A refusal (code "refused", not retryable): the card page then offers
    no form to try again, whichever of the three services the customer
    reached."""
    from billing import cards
    from billing.processors.adapters.base import ProcessorError

    subscription = no_stripe_customer
    calls = [
        lambda: cards.card_setup_start(subscription=subscription),
        lambda: cards.card_update_complete(
            subscription=subscription, setup_intent_id="seti_x", request=None
        ),
        lambda: cards.card_invoice_retry(subscription=subscription, request=None),
    ]
    for call in calls:
        with pytest.raises(ProcessorError) as refused:
            call()
        assert (refused.value.code, refused.value.message, refused.value.retryable) == (
            "refused",
            str(cards.MESSAGE_NO_STRIPE_CUSTOMER),
            False,
        )
