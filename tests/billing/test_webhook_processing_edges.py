"""Processing Stripe events at their edges (issue 27: the survivors of
mutation testing of billing/processors/webhooks.py): an event that names a
customer only Stripe knows, and a card event without a customer or for a
customer only Stripe knows."""

from billing.models import Customer, Subscription
from tests.support.processor_fixtures import stripe_subscription

from .test_webhook_modes import paypal_hooked  # noqa: F401 - fixture
from .test_webhook_processing import adapter, deliver, hooked_vendor  # noqa: F401 - fixtures


def test_a_subscription_event_for_a_customer_we_never_saw_creates_them(
    deliver,  # noqa: F811
    hooked_vendor,  # noqa: F811
):
    stranger = Customer.objects.create(vendor=hooked_vendor, email="temp@example.com")
    subscription = stripe_subscription(stranger)
    stripe_id, processor_id = stranger.stripe_customer_id, subscription.processor_id
    # Only Stripe knows them now.
    Subscription.objects.all().delete()
    stranger.delete()

    event = deliver("customer.subscription.created", processor_id, "subscription")

    assert event.outcome == "processed"
    customer = Customer.objects.get(stripe_customer_id=stripe_id)
    assert customer.email == "temp@example.com"
    assert Subscription.objects.get(customer=customer).processor_id == processor_id


def test_a_card_attached_without_a_customer_is_ignored(deliver):  # noqa: F811
    event = deliver("payment_method.attached", "pm_1", "payment_method", customer=None)
    assert (event.outcome, event.error) == ("ignored", "event type not handled")


def test_a_card_attached_with_its_customer_expanded_refreshes_the_card_summary(
    deliver,  # noqa: F811
    adapter,  # noqa: F811
    alice,
):
    subscription = stripe_subscription(alice)
    card = adapter.payment_method_attach_default(
        customer_id=alice.stripe_customer_id,
        payment_method_id="pm_card_mastercard",
        idempotency_key="k-expanded",
    )
    # An event built with the customer expanded names it by an object.
    event = deliver(
        "payment_method.attached",
        card.payment_method_id,
        "payment_method",
        customer={"id": alice.stripe_customer_id, "object": "customer"},
    )
    assert (event.outcome, event.error) == ("processed", "")
    subscription.refresh_from_db()
    assert (subscription.card_brand, subscription.card_last4) == ("mastercard", "4444")


def test_customer_and_refund_events_are_recorded_as_processed(
    deliver,  # noqa: F811
    adapter,  # noqa: F811
    alice,
    localstripe,
):
    from decimal import Decimal

    from django.core import mail

    from billing.models import Payment

    from .test_webhook_processing import refund

    subscription = stripe_subscription(alice)
    event = deliver("customer.updated", alice.stripe_customer_id, "customer")
    assert (event.outcome, event.error) == ("processed", "")

    # A refund of a charge we never saw: the payment is recorded from it,
    # with its receipt, and the refund with its credit note.
    remote = adapter.invoice_get(
        invoice_id=adapter.subscription_get(
            subscription_id=subscription.processor_id
        ).latest_invoice_id
    )
    refund(localstripe, remote.charge_id, amount=900)
    event = deliver("charge.refunded", remote.charge_id, "charge")
    assert (event.outcome, event.error) == ("processed", "")
    payment = Payment.objects.get()
    assert payment.refunds.get().amount == Decimal("9.00")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def _padded_to(size: int, build) -> bytes:
    """The body `build(pad)` makes, padded to exactly `size` bytes."""
    bare = build("")
    body = build("x" * (size - len(bare)))
    assert len(body) == size
    return body


def test_a_stripe_delivery_of_exactly_one_mebibyte_is_accepted(
    client,
    hooked_vendor,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from billing.models import WebhookEvent
    from billing.processors.webhooks import MAX_BODY_BYTES
    from tests.support.webhooks import post_stripe, stripe_event

    body = _padded_to(
        MAX_BODY_BYTES,
        lambda pad: stripe_event(
            "charge.captured", {"id": "ch_big", "object": "charge", "pad": pad}
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post_stripe(client, body).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_a_paypal_delivery_of_exactly_one_mebibyte_is_accepted(
    client,
    paypal_hooked,  # noqa: F811
    paypal_api,
    django_capture_on_commit_callbacks,
):
    import json

    from billing.models import WebhookEvent
    from billing.processors.webhooks import MAX_BODY_BYTES

    from .test_webhook_modes import deliver_paypal

    body = _padded_to(
        MAX_BODY_BYTES,
        lambda pad: json.dumps(
            {
                "id": "WH-BIG",
                "event_type": "PAYMENT.SALE.PENDING",
                "resource_type": "sale",
                "resource": {"id": "S-BIG", "pad": pad},
            }
        ).encode(),
    )
    response = deliver_paypal(client, django_capture_on_commit_callbacks, body)
    assert response.status_code == 200, response.content
    assert WebhookEvent.objects.get().event_id == "WH-BIG"


def test_a_paypal_transmission_id_is_kept_to_its_first_500_characters(
    client,
    paypal_hooked,  # noqa: F811
    paypal_api,
    django_capture_on_commit_callbacks,
):
    import json

    from billing.models import WebhookEvent
    from tests.support.fake_paypal import signed_headers

    from .test_webhook_modes import PAYPAL_URL, WEBHOOK_ID

    body = json.dumps(
        {
            "id": "WH-LONG-ID",
            "event_type": "PAYMENT.SALE.PENDING",
            "resource_type": "sale",
            "resource": {"id": "S-1"},
        }
    ).encode()
    transmission_id = "t" * 499 + "uv" + "w" * 99
    headers = signed_headers(webhook_id=WEBHOOK_ID, body=body, transmission_id=transmission_id)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAYPAL_URL, data=body, content_type="application/json", **meta)
    assert response.status_code == 200, response.content
    kept = WebhookEvent.objects.get().headers
    assert "t" * 499 + "u" in kept.values()


def test_a_refused_paypal_webhook_id_is_logged_with_the_vendor_and_paypals_words(
    client,
    paypal_hooked,  # noqa: F811
    paypal_api,
    caplog,
):
    import json
    import logging

    from .test_paypal_webhooks import deliver_raw

    paypal_hooked.paypal_webhook_id = "WH-NORTHWIND-1"  # not PayPal's shape
    paypal_hooked.save()
    body = json.dumps(
        {"id": "WH-1", "event_type": "PAYMENT.SALE.PENDING", "resource": {"id": "S-1"}}
    ).encode()
    with caplog.at_level(logging.ERROR, logger="billing.processors.webhooks"):
        response = deliver_raw(client, body, webhook_id="WH-NORTHWIND-1")
    assert response.status_code == 400
    [message] = [r.getMessage() for r in caplog.records if r.name == "billing.processors.webhooks"]
    prefix = "webhook paypal northwind: PayPal refused the saved webhook id ("
    assert message.startswith(prefix) and message.endswith(")"), message
    assert message[len(prefix) : -1] not in ("", "None")  # PayPal's own words


def test_a_card_attached_for_a_customer_we_never_saw_records_them(
    deliver,  # noqa: F811
    adapter,  # noqa: F811
    hooked_vendor,  # noqa: F811
):
    stranger = Customer.objects.create(vendor=hooked_vendor, email="later@example.com")
    stripe_subscription(stranger)
    stripe_id = stranger.stripe_customer_id
    Subscription.objects.all().delete()
    stranger.delete()  # only Stripe knows them now
    card = adapter.payment_method_attach_default(
        customer_id=stripe_id, payment_method_id="pm_card_mastercard", idempotency_key="k-new"
    )

    event = deliver(
        "payment_method.attached", card.payment_method_id, "payment_method", customer=stripe_id
    )

    assert (event.outcome, event.error) == ("processed", "")
    assert Customer.objects.get(stripe_customer_id=stripe_id).email == "later@example.com"


def test_a_refund_for_a_customer_we_never_saw_records_them_and_the_payment(
    deliver,  # noqa: F811
    adapter,  # noqa: F811
    hooked_vendor,  # noqa: F811
    localstripe,
):
    from billing.models import Payment

    from .test_webhook_processing import latest_invoice, refund

    stranger = Customer.objects.create(vendor=hooked_vendor, email="refunded@example.com")
    subscription = stripe_subscription(stranger)
    stripe_id, processor_id = stranger.stripe_customer_id, subscription.processor_id
    charge_id = adapter.invoice_get(invoice_id=latest_invoice(adapter, subscription)).charge_id
    Subscription.objects.all().delete()
    stranger.delete()  # only Stripe knows them now
    refund(localstripe, charge_id, amount=900)

    event = deliver("charge.refunded", charge_id, "charge")

    assert (event.outcome, event.error) == ("processed", "")
    payment = Payment.objects.get(processor_ref=charge_id)
    assert payment.customer.stripe_customer_id == stripe_id
    assert payment.customer.email == "refunded@example.com"
    assert payment.subscription.processor_id == processor_id
    assert payment.status == "partially_refunded"


def test_an_event_whose_customer_stays_locked_is_retried_as_busy(
    deliver,  # noqa: F811
    hooked_vendor,  # noqa: F811
    alice,
    settings,
):
    from billing.processors.object_reads import _key, object_lock

    stripe_subscription(alice)
    customer_id = alice.stripe_customer_id
    # Another worker holds the customer's events for longer than we wait
    # (in Redis its lock lives 30 s; the wait is the lock's lifetime, 1 s here).
    settings.WEBHOOK_OBJECT_LOCK_SECONDS = 30
    with object_lock(vendor_id=hooked_vendor.pk, processor="stripe", object_id=customer_id):
        settings.WEBHOOK_OBJECT_LOCK_SECONDS = 1
        event = deliver("customer.updated", customer_id, "customer")

    # Nothing read or changed; the task tries again (eagerly here: a retry).
    assert (event.outcome, event.attempts) == ("retrying", 1)
    assert event.error == f"object {_key(hooked_vendor.pk, 'stripe', customer_id)} busy"


def test_a_customer_update_keeps_a_subscription_billed_to_a_merged_stripe_customer(
    deliver,  # noqa: F811
    hooked_vendor,  # noqa: F811
    alice,
):
    stripe_subscription(alice)
    merged = Customer.objects.create(vendor=hooked_vendor, email="alice.old@example.com")
    theirs = stripe_subscription(merged)
    billed_to = merged.stripe_customer_id
    # Support merged that Stripe customer into Alice: the subscription is hers
    # here, still billed to the other Stripe customer there.
    Subscription.objects.filter(pk=theirs.pk).update(customer=alice)
    Customer.objects.filter(pk=merged.pk).update(stripe_customer_id="")

    event = deliver("customer.updated", alice.stripe_customer_id, "customer")

    assert (event.outcome, event.error) == ("processed", "")
    theirs.refresh_from_db()
    assert (theirs.customer, theirs.processor_customer_id) == (alice, billed_to)
