"""PayPal webhook events into our rows.

As with Stripe, the event only says *what* to look at: the subscription is
re-read from PayPal (state, payer, and its transactions, which are PayPal's
record of the payments), so redeliveries and any order of arrival end in the
same rows. One exception, written down here: PayPal's subscription API has
no refund lookup, so a PAYMENT.SALE.REFUNDED's amount is taken from the
event, whose authenticity PayPal itself confirmed (verify-webhook-signature)
before it was stored; it is recorded once per refund id.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from vendors.models import Vendor

from .adapters import adapter_for
from .adapters.base import ProcessorPayer
from .invoices import invoice_issue, invoice_pdf_enqueue
from .models import Customer, Order, Payment, Processor, Subscription, WebhookEvent, normalize_email
from .provisioning import subscription_record_remote
from .refunds import refund_record
from .stripe_sync import Effects

PAYPAL = Processor.PAYPAL
SUBSCRIPTION_EVENTS = {
    "BILLING.SUBSCRIPTION.ACTIVATED",
    "BILLING.SUBSCRIPTION.UPDATED",
    "BILLING.SUBSCRIPTION.CANCELLED",
    "BILLING.SUBSCRIPTION.SUSPENDED",
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
}
# How far back a subscription's transactions are read on each event.
TRANSACTION_WINDOW = timedelta(days=45)


def paypal_event_process(*, event: WebhookEvent, data: dict[str, Any], effects: Effects) -> bool:
    vendor = event.vendor
    resource = data.get("resource") if isinstance(data.get("resource"), dict) else {}
    resource = resource or {}
    kind = event.event_type
    if kind in SUBSCRIPTION_EVENTS:
        subscription_id = str(resource.get("id") or "")
    elif kind in ("PAYMENT.SALE.COMPLETED", "PAYMENT.SALE.REFUNDED"):
        subscription_id = str(resource.get("billing_agreement_id") or "")
    else:
        return False
    adapter = adapter_for(vendor=vendor, processor=PAYPAL)
    with transaction.atomic():
        if kind == "PAYMENT.SALE.REFUNDED":
            return _refund(vendor=vendor, resource=resource, effects=effects)
        if not subscription_id:
            return False
        subscription = paypal_subscription_sync(
            vendor=vendor, adapter=adapter, subscription_id=subscription_id, effects=effects
        )
        return subscription is not None


def _customer(*, vendor: Vendor, payer: ProcessorPayer) -> Customer:
    customer = None
    if payer.id:
        customer = vendor.customers.filter(paypal_payer_id=payer.id).first()
    email = normalize_email(payer.email) or f"{payer.id.lower()}@paypal.invalid"
    if customer is None:
        customer = vendor.customers.filter(email=email).first()
        if customer is not None and not customer.paypal_payer_id and payer.id:
            customer.paypal_payer_id = payer.id
            customer.save(update_fields=["paypal_payer_id", "updated_at"])
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    vendor=vendor, email=email, name=payer.name[:200], paypal_payer_id=payer.id
                )
        except IntegrityError:
            customer = vendor.customers.get(paypal_payer_id=payer.id)
    return customer


def paypal_subscription_sync(
    *, vendor: Vendor, adapter, subscription_id: str, effects: Effects
) -> Subscription | None:
    """Our subscription, its order and its payments as PayPal has them now."""
    remote = adapter.subscription_get(subscription_id=subscription_id)
    payer = adapter.payer_get(subscription_id=subscription_id)
    customer = _customer(vendor=vendor, payer=payer)
    subscription = subscription_record_remote(customer=customer, processor=PAYPAL, remote=remote)
    order = Order.objects.filter(subscription=subscription).first()
    if order is None:
        order, _ = Order.objects.get_or_create(
            vendor=vendor,
            processor=PAYPAL,
            processor_ref=subscription.processor_id,
            defaults={
                "customer": customer,
                "number": subscription.processor_id,
                "product": subscription.product,
                "amount": subscription.amount,
                "currency": subscription.currency,
                "status": Order.Status.PAID,
                "subscription": subscription,
                "created_at": remote.created or timezone.now(),
            },
        )
    now = timezone.now()
    for row in adapter.subscription_transactions(
        subscription_id=subscription_id, start=now - TRANSACTION_WINDOW, end=now
    ):
        _transaction_record(order=order, subscription=subscription, row=row, effects=effects)
    return subscription


def _transaction_record(*, order: Order, subscription: Subscription, row: dict, effects) -> None:
    status = str(row.get("status") or "").upper()
    if not row.get("id") or status not in {
        "COMPLETED",
        "DECLINED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
    }:
        return
    if Payment.objects.filter(
        vendor=order.vendor, processor=PAYPAL, processor_ref=row["id"]
    ).exists():
        return
    paid = status != "DECLINED"
    moment = row.get("time") or timezone.now()
    payment = Payment.objects.create(
        vendor=order.vendor,
        customer=order.customer,
        order=order,
        subscription=subscription,
        amount=row.get("amount") or subscription.amount,
        currency=(row.get("currency") or subscription.currency).upper(),
        status=Payment.Status.PAID if paid else Payment.Status.FAILED,
        created_at=moment,
        paid_at=moment if paid else None,
        failed_at=None if paid else moment,
        failure_message="" if paid else "PayPal could not take this payment.",
        processor=PAYPAL,
        processor_ref=row["id"],
    )
    if paid:
        invoice_pdf_enqueue(invoice=invoice_issue(payment=payment))
        effects.paid.append(payment.pk)
    else:
        effects.failed.append(payment.pk)


def _refund(*, vendor: Vendor, resource: dict, effects: Effects) -> bool:
    sale_id = str(resource.get("sale_id") or "")
    refund_id = str(resource.get("id") or "")
    payment = Payment.objects.filter(vendor=vendor, processor=PAYPAL, processor_ref=sale_id).first()
    if payment is None or not refund_id:
        # The sale is not ours yet: the task retries (PAYMENT.SALE.COMPLETED
        # or the subscription's events will bring it).
        raise LookupError(f"no payment for PayPal sale {sale_id[:40]!r} yet")
    amount = resource.get("amount") or {}
    try:
        value = Decimal(str(amount.get("total") or amount.get("value") or "0"))
    except InvalidOperation:
        return False
    if value <= 0:
        return False
    refunded_at = parse_datetime(str(resource.get("create_time") or "")) or timezone.now()
    refund, created = refund_record(
        payment=payment,
        amount=value,
        reason=str(resource.get("reason") or "")[:200],
        refunded_at=refunded_at,
        processor_ref=refund_id,
    )
    if created:
        effects.refunds.append(refund.pk)
    return True
