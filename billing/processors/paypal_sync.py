"""PayPal webhook events into our rows.

As with Stripe, the event only says *what* to look at: the subscription is
re-read from PayPal (state, payer, and its transactions, which are PayPal's
record of the payments), so redeliveries and any order of arrival end in the
same rows. Exceptions, written down here, where the event itself is read
(PayPal confirmed its authenticity through verify-webhook-signature before it
was stored, and each is recorded once per PayPal id):

- refunds and reversals (chargebacks): PayPal's subscription API has no
  refund lookup, so PAYMENT.SALE.REFUNDED's amount comes from the event
  (PayPal writes it negative). A PAYMENT.SALE.REVERSED does not name its sale
  (PayPal's sample event): the sale is read from the v1 refund it links to.
  A refund made through the v2 payments API (the hub's own `refund_create`)
  is reported as PAYMENT.CAPTURE.REFUNDED (or .REVERSED), a v2 refund whose
  `up` link names the sale. Every refund is recorded once per PayPal refund
  id, the id `refund_create` returns and both kinds of event carry: a
  refund the hub made and recorded is never recorded again.
- a completed sale the transactions list does not show yet (the list lags
  behind PAYMENT.SALE.COMPLETED): recorded from the event's sale, whose id is
  the transaction id the list shows later, so it is never recorded twice.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.documents.invoices import invoice_issue
from billing.models import (
    Customer,
    Order,
    Payment,
    Processor,
    Subscription,
    WebhookEvent,
    normalize_email,
)
from billing.provisioning import subscription_record_remote
from billing.refunds import refund_record
from vendors.models import Vendor

from .adapters import adapter_for
from .adapters.base import (
    ChargedTax,
    InvoiceLine,
    ProcessorInvoice,
    ProcessorPayer,
    ProcessorSubscription,
)
from .charged import charged_snapshot
from .object_reads import (
    ReadLog,
    SubscriptionVersions,
    coalescing_wait,
    object_lock,
    read_until_unchanged,
)
from .stripe_sync import Effects

PAYPAL = Processor.PAYPAL
SUBSCRIPTION_EVENTS = {
    "BILLING.SUBSCRIPTION.ACTIVATED",
    "BILLING.SUBSCRIPTION.UPDATED",
    "BILLING.SUBSCRIPTION.CANCELLED",
    "BILLING.SUBSCRIPTION.SUSPENDED",
    "BILLING.SUBSCRIPTION.EXPIRED",
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
}
SALE_EVENTS = {"PAYMENT.SALE.COMPLETED", "PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REVERSED"}
# A refund of a subscription's sale made through the v2 payments API (the
# hub's own refunds, and PayPal's reports of them) comes as a capture event
# whose resource is a v2 refund; its id is the same refund id either way.
CAPTURE_REFUND_EVENTS = {"PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"}
REVERSAL_EVENTS = {"PAYMENT.SALE.REVERSED", "PAYMENT.CAPTURE.REVERSED"}
# A v2 refund's statuses (paypal-server-sdk's RefundStatus) that gave nothing back.
REFUNDS_THAT_TOOK_NOTHING = {"FAILED", "CANCELLED"}
# PayPal's transaction statuses (paypal-server-sdk's CaptureStatus) and what
# each is for us: money taken, or a renewal PayPal could not charge.
PAID_STATUSES = {"COMPLETED", "REFUNDED", "PARTIALLY_REFUNDED"}
FAILED_STATUSES = {"DECLINED", "FAILED"}
REVERSAL_REASON = "Payment reversed by PayPal (chargeback)"
# How far back a subscription's transactions are read on each event.
TRANSACTION_WINDOW = timedelta(days=45)
# A transaction is PayPal's `last_payment` when their times agree this
# closely (the transaction list and billing_info are written by separate
# parts of PayPal; the fake gives them the same second).
LAST_PAYMENT_MATCH = timedelta(minutes=5)


def paypal_event_process(*, event: WebhookEvent, data: dict[str, Any], effects: Effects) -> bool:
    """Read what the event needs from PayPal (outside any transaction, each
    call through the account's rate limiter), then record it in one
    transaction, under the subscription's lock; a subscription read that
    started after the event covers it, and a read that started before the
    hub changed the subscription (a Cancel or Keep meanwhile) is made again
    rather than recorded (billing.processors.object_reads)."""
    vendor = event.vendor
    resource = data.get("resource") if isinstance(data.get("resource"), dict) else {}
    resource = resource or {}
    kind = event.event_type
    subscription_id = ""
    if kind in SUBSCRIPTION_EVENTS:
        subscription_id = str(resource.get("id") or "")
    elif kind in SALE_EVENTS:
        subscription_id = str(resource.get("billing_agreement_id") or "")
    elif kind not in CAPTURE_REFUND_EVENTS:
        return False
    adapter = adapter_for(vendor=vendor, processor=PAYPAL, limited=True)
    coalescing_wait(received_at=event.received_at)
    owner = subscription_id or str(resource.get("id") or "") or event.event_id
    log = ReadLog(vendor_id=vendor.pk, processor=PAYPAL)
    with object_lock(vendor_id=vendor.pk, processor=PAYPAL, object_id=owner):
        handled = read_until_unchanged(
            lambda: _event_process(
                event=event,
                kind=kind,
                resource=resource,
                subscription_id=subscription_id,
                adapter=adapter,
                log=log,
                effects=effects,
            ),
            log=log,
            effects=effects,
            key=owner,
        )
        log.commit()
    return handled


def _event_process(
    *, event: WebhookEvent, kind: str, resource: dict, subscription_id: str, adapter, log, effects
) -> bool:
    vendor = event.vendor
    if kind in CAPTURE_REFUND_EVENTS:
        refund = adapter.refund_of_capture_event(resource=resource)
        if refund["status"] in REFUNDS_THAT_TOOK_NOTHING:
            return False
    elif kind in ("PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REVERSED"):
        refund = adapter.refund_of_event(resource=resource)
    else:
        refund = None
    if refund is not None:
        if kind in REVERSAL_EVENTS:
            refund["reason"] = REVERSAL_REASON
        with transaction.atomic():
            return _refund(vendor=vendor, refund=refund, effects=effects)
    if not subscription_id:
        return False
    versions = SubscriptionVersions(vendor_id=vendor.pk, processor=PAYPAL)
    known = versions.before_read(subscription_id)
    read = None
    if not (known and log.covers(subscription_id, received_at=event.received_at)):
        started = log.now()
        read = _subscription_read(adapter=adapter, subscription_id=subscription_id)
        log.read(subscription_id, started)
    sale = adapter.sale_of_event(resource=resource) if kind == "PAYMENT.SALE.COMPLETED" else None
    with transaction.atomic():
        if read is not None:
            versions.before_record(subscription_id)
            subscription = _subscription_record(vendor=vendor, read=read, effects=effects)
        else:
            subscription = Subscription.objects.get(
                vendor=vendor, processor=PAYPAL, processor_id=subscription_id
            )
        if sale is not None and sale["status"] == "COMPLETED":
            order = Order.objects.filter(subscription=subscription).first()
            if order is not None:
                # The plan's tax comes with the subscription's read; a sale
                # that a newer read covered was recorded by that read already.
                _transaction_record(
                    order=order,
                    subscription=subscription,
                    row=sale,
                    effects=effects,
                    remote=read[0] if read is not None else None,
                )
    return True


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
    """Our subscription, its order and its payments as PayPal has them now:
    read first, then recorded in one transaction."""
    read = _subscription_read(adapter=adapter, subscription_id=subscription_id)
    with transaction.atomic():
        return _subscription_record(vendor=vendor, read=read, effects=effects)


def _subscription_read(*, adapter, subscription_id: str) -> tuple:
    """The subscription and its payer (one read), and its transactions."""
    remote, payer = adapter.subscription_and_payer_get(subscription_id=subscription_id)
    now = timezone.now()
    rows = list(
        adapter.subscription_transactions(
            subscription_id=subscription_id, start=now - TRANSACTION_WINDOW, end=now
        )
    )
    return remote, payer, rows


def _subscription_record(*, vendor: Vendor, read: tuple, effects: Effects) -> Subscription:
    remote, payer, rows = read
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
    for row in rows:
        _transaction_record(
            order=order, subscription=subscription, row=row, effects=effects, remote=remote
        )
    return subscription


def _transaction_record(
    *,
    order: Order,
    subscription: Subscription,
    row: dict,
    effects,
    remote: ProcessorSubscription | None = None,
) -> None:
    """One PayPal transaction (or completed sale) as a Payment, once per id.
    Its amount is PayPal's gross: what the payer paid, tax and shipping in."""
    status = str(row.get("status") or "").upper()
    if not row.get("id") or status not in PAID_STATUSES | FAILED_STATUSES:
        return
    if Payment.objects.filter(
        vendor=order.vendor, processor=PAYPAL, processor_ref=row["id"]
    ).exists():
        return
    paid = status in PAID_STATUSES
    moment = row.get("time") or timezone.now()
    payment = Payment.objects.create(
        vendor=order.vendor,
        customer=order.customer,
        order=order,
        subscription=subscription,
        amount=row["amount"] if row.get("amount") is not None else subscription.amount,
        currency=(row.get("currency") or subscription.currency).upper(),
        status=Payment.Status.PAID if paid else Payment.Status.FAILED,
        created_at=moment,
        paid_at=moment if paid else None,
        failed_at=None if paid else moment,
        # PayPal tells the payer why; we have no reason to show for it.
        failure_message="",
        processor=PAYPAL,
        processor_ref=row["id"],
    )
    if paid:
        period = paid_period(paid_at=row.get("time"), subscription=subscription, remote=remote)
        charged = _charged(
            payment=payment, remote=remote, row=row, product=order.product, period=period
        )
        invoice_issue(payment=payment, charged=charged, period=None if charged else period)
        effects.paid.append(payment.pk)
    else:
        effects.failed.append(payment.pk)


def _refund(*, vendor: Vendor, refund: dict, effects: Effects) -> bool:
    """A refund or a reversal (chargeback) of one of our PayPal payments:
    a Refund with its credit note, once per PayPal refund id."""
    sale_id, refund_id = refund["sale_id"], refund["id"]
    if not refund_id or not sale_id:
        return False
    payment = Payment.objects.filter(vendor=vendor, processor=PAYPAL, processor_ref=sale_id).first()
    if payment is None:
        # The sale is not ours yet: the task retries (PAYMENT.SALE.COMPLETED
        # or the subscription's events will bring it).
        raise LookupError(f"no payment for PayPal sale {sale_id[:40]!r} yet")
    amount = refund["amount"]
    if amount is None or amount <= 0:
        return False
    try:
        recorded, created = refund_record(
            payment=payment,
            amount=amount,
            reason=refund["reason"][:200],
            refunded_at=refund["time"] or timezone.now(),
            processor_ref=refund_id,
        )
    except ValueError:
        # Nothing left to take back (a reversal after a full refund, say):
        # the payment already shows it all.
        return True
    if created:
        effects.refunds.append(recorded.pk)
    return True


def interval_after(moment: datetime, *, interval: str, count: int) -> datetime:
    """`count` intervals of a billing cycle after `moment`. PayPal bills a
    monthly or yearly cycle on the same day of the month (the last day of a
    shorter month: January 31 is followed by February 28 or 29)."""
    if interval == "day":
        return moment + timedelta(days=count)
    if interval == "week":
        return moment + timedelta(weeks=count)
    months = moment.month - 1 + count * (12 if interval == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def paid_period(
    *,
    paid_at: datetime | None,
    subscription: Subscription,
    remote: ProcessorSubscription | None,
) -> tuple[datetime, datetime] | None:
    """The billing period a subscription payment pays for. PayPal bills each
    cycle at its start, for one interval of the plan's regular cycle
    (`billing_cycles[].frequency`: interval_unit and interval_count); the
    payment PayPal reports as the last one (`billing_info.last_payment`)
    pays for the cycle that ends when the next is billed
    (`billing_info.next_billing_time`). Without a fresh read (a sale event a
    newer read covered) the interval is the one recorded on our
    subscription. None without the payment's time."""
    if paid_at is None:
        return None
    source = remote if remote is not None else subscription
    end = interval_after(paid_at, interval=source.interval, count=source.interval_count or 1)
    if (
        remote is not None
        and remote.last_payment_at is not None
        and remote.next_billing_at is not None
        and abs(remote.last_payment_at - paid_at) <= LAST_PAYMENT_MATCH
        and remote.next_billing_at > paid_at
    ):
        end = remote.next_billing_at
    return paid_at, end


def _charged(
    *,
    payment: Payment,
    remote: ProcessorSubscription | None,
    row: dict,
    product: str,
    period: tuple[datetime, datetime] | None = None,
) -> dict | None:
    """What PayPal charged, as an invoice states it: the plan's tax
    percentage and whether its price includes it, and the tax PayPal took
    with this payment (its own breakdown). Without a plan tax, or a payment
    whose tax PayPal does not state, the invoice has its one line as before:
    we never work a tax out ourselves."""
    tax = row.get("tax")
    if remote is None or remote.tax_percentage is None or tax is None:
        return None
    gross = payment.amount
    net = gross - tax
    # As Stripe's line amounts: the price as charged, tax in when it was included.
    amount = gross if remote.tax_inclusive else net
    charged_tax = ChargedTax(
        rate=remote.tax_percentage,
        label="",
        taxable_amount=net,
        amount=tax,
        inclusive=remote.tax_inclusive,
        # A US seller's tax is a sales tax, not VAT (billing.processors.charged).
        country="US" if payment.vendor.country == "US" else "",
    )
    invoice = ProcessorInvoice(
        id=str(row.get("id") or ""),
        customer_id="",
        status="paid",
        currency=payment.currency,
        total=gross,
        amount_paid=gross,
        subtotal=amount,
        lines=[
            InvoiceLine(
                description=product,
                quantity=1,
                amount=amount,
                unit_amount=amount,
                period_start=period[0] if period else None,
                period_end=period[1] if period else None,
                taxes=[charged_tax],
            )
        ],
        taxes=[charged_tax],
    )
    return charged_snapshot(remote=invoice, vendor=payment.vendor)
