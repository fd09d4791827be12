"""Bringing a processor's subscription into the hub: start one at Stripe for
a customer (the demo and the tests do; a vendor tool may later), or link an
existing one by its processor id and copy what the processor says.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from .models import Customer, Processor, Subscription
from .processors.adapters import adapter_for, stripe_adapter_for
from .processors.adapters.base import CardSummary, ProcessorSubscription
from .products import SUBSCRIPTION


def _key(prefix: str) -> str:
    return f"hub-{prefix}-{uuid.uuid4()}"


def stripe_customer_ensure(*, customer: Customer) -> str:
    """The customer's Stripe customer id, creating the Stripe customer if they have none."""
    if customer.stripe_customer_id:
        return customer.stripe_customer_id
    adapter = stripe_adapter_for(vendor=customer.vendor)
    remote = adapter.customer_create(
        email=customer.email, name=customer.name, idempotency_key=_key("customer")
    )
    customer.stripe_customer_id = remote.id
    customer.save(update_fields=["stripe_customer_id", "updated_at"])
    return remote.id


def stripe_subscription_provision(
    *,
    customer: Customer,
    product: str,
    amount: Decimal,
    currency: str = "",
    interval: str = "month",
    trial_end: datetime | None = None,
    payment_method_id: str = "pm_card_visa",
    subscription: Subscription | None = None,
) -> Subscription:
    """Start a subscription at Stripe (card `payment_method_id` as the
    customer's default) and record it here as Stripe reports it: as a new
    row, or into `subscription` (a row that has no live Stripe subscription)."""
    adapter = stripe_adapter_for(vendor=customer.vendor)
    currency = currency or customer.vendor.default_currency
    customer_id = stripe_customer_ensure(customer=customer)
    card = adapter.payment_method_attach_default(
        customer_id=customer_id, payment_method_id=payment_method_id, idempotency_key=_key("pm")
    )
    price_id = adapter.price_create(
        product_name=product,
        amount=amount,
        currency=currency,
        interval=interval,
        idempotency_key=_key("price"),
    )
    remote = adapter.subscription_create(
        customer_id=customer_id,
        price_id=price_id,
        trial_end=trial_end,
        idempotency_key=_key("subscription"),
    )
    if subscription is not None:
        Subscription.objects.filter(pk=subscription.pk).update(processor_id=remote.id)
    return subscription_record_remote(
        customer=customer,
        processor=Processor.STRIPE,
        remote=remote,
        product=product,
        amount=amount,
        currency=currency,
        card=remote.card or card,
    )


def subscription_link_remote(
    *, customer: Customer, processor: str, processor_id: str, product: str = ""
) -> Subscription:
    """Record (or refresh) the processor's subscription `processor_id` as one of
    `customer`'s subscriptions (`product` names it when the processor has no
    name for it, as PayPal often has not)."""
    adapter = adapter_for(vendor=customer.vendor, processor=processor)
    remote = adapter.subscription_get(subscription_id=processor_id)
    return subscription_record_remote(
        customer=customer, processor=processor, remote=remote, product=product
    )


@transaction.atomic
def subscription_record_remote(
    *,
    customer: Customer,
    processor: str,
    remote: ProcessorSubscription,
    product: str = "",
    amount: Decimal | None = None,
    currency: str = "",
    card: CardSummary | None = None,
) -> Subscription:
    """Create or update our row for the processor's subscription. One row per
    (vendor, processor, processor id), whatever calls this how often."""
    card = card or remote.card
    fields = {
        "customer": customer,
        "product": remote.product or product or SUBSCRIPTION,
        "status": remote.status,
        "amount": remote.amount if remote.amount is not None else (amount or Decimal("0")),
        "currency": (remote.currency or currency or customer.vendor.default_currency).upper(),
        "interval": remote.interval or "month",
        "interval_count": remote.interval_count or 1,
        "trial_end": remote.trial_end,
        "current_period_end": remote.current_period_end,
        "next_payment_at": remote.next_payment_at,
        "cancel_at_period_end": remote.cancel_at_period_end,
        "canceled_at": remote.canceled_at,
        "processor_price_id": remote.price_id,
    }
    if product:
        fields["product"] = product
    if card and card.last4:
        fields.update(
            card_brand=card.brand,
            card_last4=card.last4,
            card_exp_month=card.exp_month,
            card_exp_year=card.exp_year,
            payment_method_id=card.payment_method_id or remote.default_payment_method_id,
        )
    if not remote.cancel_at_period_end:
        # A cancellation taken back at the processor (by the vendor, say)
        # ends our record that the customer made it in the hub, so a
        # cancellation the vendor schedules later cannot be "kept" by the
        # customer (billing.cancellation.subscription_can_undo).
        Subscription.objects.filter(
            vendor=customer.vendor,
            processor=processor,
            processor_id=remote.id,
            cancel_at_period_end=True,
        ).exclude(status=Subscription.Status.CANCELED).update(cancel_requested_at=None)
    subscription, _ = Subscription.objects.update_or_create(
        vendor=customer.vendor, processor=processor, processor_id=remote.id, defaults=fields
    )
    return subscription
