"""Processing Stripe events: every handled type, against objects that really
exist at localstripe (processing re-fetches them; the event body only names
them). Tasks run eagerly; receipts and notices land in mail.outbox."""

import json
from decimal import Decimal

import pytest
import requests
from django.core import mail

from billing.models import CreditNote, Customer, Order, Payment, Refund, Subscription, WebhookEvent
from billing.processors.adapters import stripe_adapter_for
from tests.support.processor_fixtures import stripe_subscription
from tests.support.webhooks import SECRET, post_stripe, stripe_event


@pytest.fixture
def hooked_vendor(stripe_vendor):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    return stripe_vendor


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks, hooked_vendor):
    """Deliver `kind` for the Stripe object `object_id`, signed like Stripe;
    processing, receipts and notices run before this returns."""

    def send(kind, object_id, object_type, *, event_id="", **fields):
        payload = stripe_event(
            kind, {"id": object_id, "object": object_type, **fields}, event_id=event_id
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = post_stripe(client, payload)
        assert response.status_code == 200
        return WebhookEvent.objects.get(event_id=json.loads(payload)["id"])

    return send


@pytest.fixture
def adapter(hooked_vendor):
    return stripe_adapter_for(vendor=hooked_vendor)


def latest_invoice(adapter, subscription):
    return adapter.subscription_get(subscription_id=subscription.processor_id).latest_invoice_id


def refund(localstripe, charge_id, amount=None):
    data = {"charge": charge_id}
    if amount is not None:
        data["amount"] = amount
    response = requests.post(
        f"{localstripe}/v1/refunds", data=data, auth=("sk_test_northwind", ""), timeout=5
    )
    response.raise_for_status()
    return response.json()


# --- invoices ------------------------------------------------------------------------


def test_invoice_paid_records_the_payment_its_invoice_and_one_receipt(deliver, adapter, alice):
    subscription = stripe_subscription(alice)
    invoice_id = latest_invoice(adapter, subscription)

    event = deliver("invoice.paid", invoice_id, "invoice")

    assert event.outcome == "processed" and event.attempts == 1
    payment = Payment.objects.get(customer=alice)
    remote = adapter.invoice_get(invoice_id=invoice_id)
    assert (payment.status, payment.amount, payment.currency) == ("paid", Decimal("29.00"), "USD")
    assert payment.processor_ref == remote.charge_id
    assert payment.subscription == subscription
    assert payment.order.subscription == subscription
    assert payment.invoice.number == "NORTHWIND-000001"
    assert payment.invoice.sequence == 1 and not payment.invoice.imported
    assert payment.receipt_sent_at is not None
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == ["alice@example.com"]
    assert "receipt" in receipt.subject.lower()


def test_the_same_invoice_reported_twice_is_one_payment_and_one_receipt(deliver, adapter, alice):
    subscription = stripe_subscription(alice)
    invoice_id = latest_invoice(adapter, subscription)

    deliver("invoice.payment_succeeded", invoice_id, "invoice")
    deliver("invoice.paid", invoice_id, "invoice")

    assert Payment.objects.filter(customer=alice).count() == 1
    assert Order.objects.filter(customer=alice).count() == 1
    assert len(mail.outbox) == 1


def test_an_invoice_for_a_customer_we_never_saw_creates_them(deliver, adapter, hooked_vendor):
    stranger = Customer.objects.create(vendor=hooked_vendor, email="temp@example.com")
    subscription = stripe_subscription(stranger)
    invoice_id = latest_invoice(adapter, subscription)
    stripe_id = stranger.stripe_customer_id
    # Only Stripe knows them now.
    Subscription.objects.all().delete()
    stranger.delete()

    deliver("invoice.paid", invoice_id, "invoice")

    customer = Customer.objects.get(stripe_customer_id=stripe_id)
    assert customer.email == "temp@example.com"
    assert Subscription.objects.get(customer=customer).processor_id == subscription.processor_id
    assert customer.payments.get().status == "paid"


def test_invoice_payment_failed_records_a_failed_payment_and_tells_the_customer(
    deliver, adapter, alice
):
    subscription = stripe_subscription(alice, payment_method_id="pm_card_chargeCustomerFail")
    invoice_id = latest_invoice(adapter, subscription)

    deliver("invoice.payment_failed", invoice_id, "invoice")
    deliver("invoice.payment_failed", invoice_id, "invoice")  # Stripe retries the event

    payment = Payment.objects.get(customer=alice)
    assert payment.status == "failed"
    assert payment.failure_message == "Your card was declined."
    assert not hasattr(payment, "invoice") or payment.invoice is None
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert "failed" in notice.subject
    assert "Your card was declined." in notice.body
    card_path = f"/northwind/updateinfo/subscriptions/{subscription.pk}/card/"
    assert "email=alice%40example.com" in notice.body
    assert "next=" + card_path.replace("/", "%2F") in notice.body
    html = notice.alternatives[0][0]
    assert "Update my card" in html


# --- subscriptions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
    ],
)
def test_subscription_events_bring_our_row_to_stripes_state(deliver, adapter, alice, kind):
    subscription = stripe_subscription(alice)
    # Stripe changed since we last looked (cancelled at period end elsewhere).
    adapter.subscription_cancel(
        subscription_id=subscription.processor_id, at_period_end=True, idempotency_key="k1"
    )

    event = deliver(kind, subscription.processor_id, "subscription")

    assert event.outcome == "processed"
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is True
    assert subscription.next_payment_at is None
    assert Subscription.objects.count() == 1


def test_subscription_deleted_arriving_before_created_ends_cancelled(deliver, adapter, alice):
    subscription = stripe_subscription(alice)
    processor_id = subscription.processor_id
    adapter.subscription_cancel(
        subscription_id=processor_id, at_period_end=False, idempotency_key="k2"
    )
    Subscription.objects.all().delete()  # we never heard of it

    deliver("customer.subscription.deleted", processor_id, "subscription")
    deliver("customer.subscription.created", processor_id, "subscription")

    ours = Subscription.objects.get(processor_id=processor_id)
    assert ours.status == "canceled"
    assert ours.canceled_at is not None
    assert Order.objects.filter(subscription=ours).count() == 1


# --- customers and cards ---------------------------------------------------------------


def test_customer_updated_copies_stripes_details(deliver, adapter, alice):
    subscription = stripe_subscription(alice)
    from billing.processors.adapters.base import Address

    adapter.customer_update(
        customer_id=alice.stripe_customer_id,
        name="Alice Zed",
        email="alice.zed@example.com",
        address=Address(line1="9 Elm St", city="Paris", postal_code="75001", country="FR"),
        idempotency_key="k3",
    )

    deliver("customer.updated", alice.stripe_customer_id, "customer")

    alice.refresh_from_db()
    assert (alice.name, alice.email) == ("Alice Zed", "alice.zed@example.com")
    assert (alice.address_line1, alice.city, alice.country) == ("9 Elm St", "Paris", "FR")
    assert Subscription.objects.get() == subscription


def test_a_new_default_card_updates_the_card_summary(deliver, adapter, alice):
    subscription = stripe_subscription(alice)
    assert subscription.card_last4 == "4242"
    card = adapter.payment_method_attach_default(
        customer_id=alice.stripe_customer_id,
        payment_method_id="pm_card_mastercard",
        idempotency_key="k4",
    )

    deliver("payment_method.attached", card.payment_method_id, "payment_method",
            customer=alice.stripe_customer_id)  # fmt: skip

    subscription.refresh_from_db()
    assert (subscription.card_brand, subscription.card_last4) == ("mastercard", "4444")


def test_customer_updated_also_refreshes_the_card_summary(deliver, adapter, alice):
    subscription = stripe_subscription(alice)
    adapter.payment_method_attach_default(
        customer_id=alice.stripe_customer_id,
        payment_method_id="pm_card_mastercard",
        idempotency_key="k5",
    )
    deliver("customer.updated", alice.stripe_customer_id, "customer")
    subscription.refresh_from_db()
    assert subscription.card_last4 == "4444"


def test_a_tax_id_stripe_verified_later_shows_its_new_status(deliver, adapter, alice, bob):
    at_stripe = adapter.customer_create(email=alice.email, name=alice.name, idempotency_key="t0")
    tax_id = adapter.customer_tax_id_create(
        customer_id=at_stripe.id, type="eu_vat", value="DE136695976", idempotency_key="t1"
    )
    # Saved while Stripe was still checking it (VIES answers later).
    alice.stripe_customer_id, alice.stripe_tax_id = at_stripe.id, tax_id.id
    alice.tax_id, alice.tax_id_type, alice.tax_id_verification = "DE136695976", "eu_vat", "pending"
    alice.save()
    bob.tax_id_verification = "pending"
    bob.save()

    event = deliver("customer.tax_id.updated", tax_id.id, "tax_id", customer=at_stripe.id)

    assert (event.outcome, event.error) == ("processed", "")
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.tax_id_verification, bob.tax_id_verification) == ("verified", "pending")


def test_an_update_of_a_tax_id_replaced_since_changes_nothing(deliver, adapter, alice):
    at_stripe = adapter.customer_create(email=alice.email, name=alice.name, idempotency_key="t2")
    old = adapter.customer_tax_id_create(
        customer_id=at_stripe.id, type="eu_vat", value="DE136695976", idempotency_key="t3"
    )
    alice.stripe_customer_id, alice.stripe_tax_id = at_stripe.id, "txi_newer"
    alice.tax_id_verification = "pending"
    alice.save()
    deliver("customer.tax_id.updated", old.id, "tax_id", customer=at_stripe.id)
    alice.refresh_from_db()
    assert alice.tax_id_verification == "pending"


# --- refunds -----------------------------------------------------------------------------


def test_partial_then_full_refund_with_credit_notes(deliver, adapter, alice, localstripe):
    subscription = stripe_subscription(alice)
    invoice_id = latest_invoice(adapter, subscription)
    deliver("invoice.paid", invoice_id, "invoice")
    payment = Payment.objects.get()
    charge_id = payment.processor_ref

    refund(localstripe, charge_id, amount=500)
    deliver("charge.refunded", charge_id, "charge")
    deliver("charge.refunded", charge_id, "charge")  # redelivered under a new event id

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("5.00"))
    assert payment.net_amount == Decimal("24.00")
    first = Refund.objects.get()
    assert (first.amount, first.currency, first.processor_ref[:3]) == (
        Decimal("5.00"),
        "USD",
        "re_",
    )
    note = first.credit_note
    assert note.number == "NORTHWIND-CN-000001"
    assert note.invoice == payment.invoice
    assert (note.total, note.currency) == (Decimal("5.00"), "USD")

    refund(localstripe, charge_id)  # the rest
    deliver("charge.refunded", charge_id, "charge")

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("29.00"))
    assert payment.net_amount == Decimal("0")
    assert list(CreditNote.objects.order_by("sequence").values_list("number", "total")) == [
        ("NORTHWIND-CN-000001", Decimal("5.00")),
        ("NORTHWIND-CN-000002", Decimal("24.00")),
    ]
    # The invoice itself was not touched; our invoice numbers did not move.
    assert payment.invoice.total == Decimal("29.00")
    assert payment.invoice.number == "NORTHWIND-000001"
    assert len(mail.outbox) == 1  # the receipt; refunds send none


def test_a_refund_of_a_charge_we_never_saw_records_both(deliver, adapter, alice, localstripe):
    """The charge does not name its invoice (API 2025-03-31): the payment
    intent's InvoicePayment does, so the refund lands on the subscription's
    payment, never on a one-time "Purchase"."""
    subscription = stripe_subscription(alice)
    charge_id = adapter.invoice_get(invoice_id=latest_invoice(adapter, subscription)).charge_id
    refund(localstripe, charge_id, amount=900)

    deliver("charge.refunded", charge_id, "charge")

    payment = Payment.objects.get()
    assert payment.processor_ref == charge_id
    assert payment.subscription == subscription
    assert payment.order.subscription == subscription
    assert not Order.objects.filter(product="Purchase").exists()
    assert payment.status == "partially_refunded"
    assert payment.refunds.get().amount == Decimal("9.00")
    assert payment.invoice.credit_notes.count() == 1


def test_a_one_time_charge_refunded_marks_its_order(deliver, adapter, alice, localstripe):
    import stripe as stripe_sdk

    stripe_subscription(alice)  # gives alice a Stripe customer with a card
    client = stripe_sdk.StripeClient("sk_test_northwind", base_addresses={"api": localstripe})
    charge = client.v1.charges.create(
        params={"amount": 1500, "currency": "usd", "customer": alice.stripe_customer_id}
    )
    refund(localstripe, charge.id)

    deliver("charge.refunded", charge.id, "charge")

    order = Order.objects.get(processor_ref=charge.id)
    assert order.status == "refunded"
    payment = order.payments.get()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("15.00"))
