"""Bringing what Stripe knows into our rows: customers, subscriptions,
invoices (as Order + Payment + Invoice) and charges with their refunds.

Shared by webhook processing and `import_stripe`. Every function takes an
object Stripe returned *now* (re-fetched, never the event body) and creates
or updates our row for it, keyed by the Stripe id: running one twice, or
for events that arrive out of order, changes nothing the second time and
never makes a second row for the same Stripe reference.

Each returns what it did ("created", "updated" or "unchanged") alongside the
row, so the import can report it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.documents.invoices import (
    invoice_contents,
    invoice_issue,
    paid_via,
    seller_snapshot,
)
from billing.models import (
    Customer,
    Invoice,
    Order,
    Payment,
    Processor,
    Subscription,
    normalize_email,
)
from billing.products import PURCHASE
from billing.provisioning import subscription_record_remote
from billing.refunds import refund_record
from vendors.models import Vendor

from .adapters.base import (
    ProcessorCharge,
    ProcessorCustomer,
    ProcessorInvoice,
    ProcessorSubscription,
)
from .charged import charged_snapshot

STRIPE = Processor.STRIPE
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# A Stripe customer whose email (as we store it: lowercase) another of the
# vendor's customers already has: the same person to us, so one customer.
MERGED = "merged"


@dataclass
class Effects:
    """What a sync did, for the caller to act on after commit: the payments
    that were newly paid (a receipt each) or newly failed (a notice each)."""

    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)


def _changed(obj, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


# --- customers ---------------------------------------------------------------------


def stripe_customer_record(
    *, vendor: Vendor, remote: ProcessorCustomer, existing: Customer | None = None
) -> tuple[Customer, str]:
    """Our customer for the Stripe customer: found by its Stripe id, else by
    email (a customer we knew before they were linked), else created.

    Name, email and billing address follow Stripe. A Stripe customer whose
    email another of the vendor's customers (linked to another Stripe
    customer) already has, in any case, is that customer: MERGED, and its
    subscriptions and payments land in their hub (a subscription remembers
    its own Stripe customer, see stripe_subscription_record). Kept apart,
    it would get a placeholder address nobody can sign in with.
    """
    customer = existing
    if customer is None:
        customer = vendor.customers.filter(stripe_customer_id=remote.id).first()
    email = normalize_email(remote.email) or f"{remote.id.lower()}@stripe.invalid"
    if customer is None:
        customer = vendor.customers.filter(email=email, stripe_customer_id="").first()
    address = remote.address
    values = {
        "stripe_customer_id": remote.id,
        "name": remote.name[:200],
        "email": email,
    }
    if address is not None:
        values.update(
            address_line1=address.line1[:200],
            address_line2=address.line2[:200],
            city=address.city[:100],
            postal_code=address.postal_code[:20],
            state=address.state[:100],
            country=address.country[:2].upper(),
        )
    if customer is None:
        try:
            with transaction.atomic():
                return Customer.objects.create(vendor=vendor, **values), CREATED
        except IntegrityError:
            owner = vendor.customers.filter(email=email).first()
            if owner is not None and normalize_email(remote.email):
                return owner, MERGED
            values["email"] = f"{remote.id.lower()}@stripe.invalid"
            customer, _ = Customer.objects.get_or_create(
                vendor=vendor, stripe_customer_id=remote.id, defaults=values
            )
            return customer, CREATED
    changed = _changed(customer, values)
    if not changed:
        return customer, UNCHANGED
    for name in changed:
        setattr(customer, name, values[name])
    try:
        with transaction.atomic():
            customer.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        customer.refresh_from_db()
        changed = [name for name in changed if name != "email"]
        if not changed:
            return customer, UNCHANGED
        for name in changed:
            setattr(customer, name, values[name])
        customer.save(update_fields=[*changed, "updated_at"])
    return customer, UPDATED


def stripe_customer_ensure(*, vendor: Vendor, adapter, customer_id: str) -> Customer:
    """Our customer for a Stripe customer id, fetched from Stripe if new."""
    customer = vendor.customers.filter(stripe_customer_id=customer_id).first()
    if customer is not None:
        return customer
    customer, _ = stripe_customer_record(
        vendor=vendor, remote=adapter.customer_get(customer_id=customer_id)
    )
    return customer


# --- subscriptions -----------------------------------------------------------------

SUBSCRIPTION_FIELDS = (
    "status",
    "amount",
    "currency",
    "interval",
    "interval_count",
    "trial_end",
    "current_period_end",
    "next_payment_at",
    "cancel_at_period_end",
    "canceled_at",
    "card_last4",
    "card_brand",
)


def stripe_subscription_record(
    *, vendor: Vendor, adapter, remote: ProcessorSubscription, customer: Customer | None = None
) -> tuple[Subscription, str]:
    """Create or update our subscription (and the order that started it)."""
    if customer is None:
        customer = stripe_customer_ensure(
            vendor=vendor, adapter=adapter, customer_id=remote.customer_id
        )
    before = (
        Subscription.objects.filter(vendor=vendor, processor=STRIPE, processor_id=remote.id)
        .values(*SUBSCRIPTION_FIELDS, "product")
        .first()
    )
    existing_product = before["product"] if before else ""
    subscription = subscription_record_remote(
        customer=customer,
        processor=STRIPE,
        remote=remote,
        # Keep the name we have when Stripe's could not be read this time.
        product="" if remote.product else existing_product,
    )
    # The Stripe customer it belongs to, when that is not the customer's own
    # (two Stripe customers merged into one of ours): card updates need it.
    own = "" if remote.customer_id == customer.stripe_customer_id else remote.customer_id
    if subscription.processor_customer_id != own:
        subscription.processor_customer_id = own
        subscription.save(update_fields=["processor_customer_id", "updated_at"])
    _subscription_order_ensure(subscription=subscription, created=remote.created)
    if before is None:
        return subscription, CREATED
    after = {name: getattr(subscription, name) for name in (*SUBSCRIPTION_FIELDS, "product")}
    return subscription, (UNCHANGED if after == before else UPDATED)


def _subscription_order_ensure(*, subscription: Subscription, created) -> Order:
    """The order a subscription's payments hang from (one per subscription)."""
    order = Order.objects.filter(subscription=subscription).first()
    if order is not None:
        return order
    order, _ = Order.objects.get_or_create(
        # The id: the subscription as recorded does not carry its vendor
        # loaded, and loading it was one more query per new subscription.
        vendor_id=subscription.vendor_id,
        processor=STRIPE,
        processor_ref=subscription.processor_id,
        defaults={
            "customer": subscription.customer,
            "number": subscription.processor_id,
            "product": subscription.product,
            "amount": subscription.amount,
            "currency": subscription.currency,
            "status": Order.Status.PAID
            if subscription.status != Subscription.Status.TRIALING
            else Order.Status.PENDING,
            "subscription": subscription,
            "created_at": created or timezone.now(),
        },
    )
    return order


# --- invoices and charges ----------------------------------------------------------


def _invoice_order(
    *, vendor: Vendor, customer: Customer, remote: ProcessorInvoice, subscription
) -> Order:
    if subscription is not None:
        return _subscription_order_ensure(subscription=subscription, created=remote.created)
    description = ", ".join(line.description for line in remote.lines if line.description)
    order, _ = Order.objects.get_or_create(
        vendor=vendor,
        processor=STRIPE,
        processor_ref=remote.id,
        defaults={
            "customer": customer,
            "number": remote.number or remote.id,
            "product": (description or PURCHASE)[:200],
            "amount": remote.total,
            "currency": remote.currency,
            "status": Order.Status.PAID if remote.status == "paid" else Order.Status.PENDING,
            "created_at": remote.created or timezone.now(),
        },
    )
    return order


@transaction.atomic
def stripe_invoice_record(
    *,
    vendor: Vendor,
    adapter,
    remote: ProcessorInvoice,
    charge: ProcessorCharge | None = None,
    historical: bool = False,
    effects: Effects | None = None,
    fetch_charge: bool = True,
    customer: Customer | None = None,
) -> tuple[Payment | None, str]:
    """Record a Stripe invoice's payment: a paid invoice is a paid Payment
    with its Invoice; an invoice whose charge failed is a failed Payment.
    Drafts and open invoices not yet attempted record nothing.

    `historical` (the import): the invoice keeps Stripe's number and date and
    takes nothing from our sequence. Otherwise (a webhook, something that
    happened just now) it is issued in our sequence like any new payment.
    """
    effects = effects if effects is not None else Effects()
    paid = remote.status == "paid"
    if not paid and not remote.charge_id:
        return None, UNCHANGED
    reference = remote.charge_id or remote.id
    existing = Payment.objects.filter(
        vendor=vendor, processor=STRIPE, processor_ref=reference
    ).first()
    if existing is not None:
        # A payment, once recorded, only changes through refunds (read with
        # its charge, by charge.refunded): its charge is not read again.
        return existing, UNCHANGED
    if charge is None and remote.charge_id and (fetch_charge or not paid):
        # The import passes fetch_charge=False for paid invoices: their
        # charges (card, refunds) come in its own charges stage, a page at a time.
        charge = adapter.charge_get(charge_id=remote.charge_id)
    if not paid and (charge is None or charge.status != "failed"):
        return None, UNCHANGED
    customer = customer or stripe_customer_ensure(
        vendor=vendor, adapter=adapter, customer_id=remote.customer_id
    )
    subscription = None
    if remote.subscription_id:
        subscription = Subscription.objects.filter(
            vendor=vendor, processor=STRIPE, processor_id=remote.subscription_id
        ).first()
        if subscription is None:
            subscription, _ = stripe_subscription_record(
                vendor=vendor,
                adapter=adapter,
                remote=adapter.subscription_get(subscription_id=remote.subscription_id),
                customer=customer,
            )
    order = _invoice_order(
        vendor=vendor, customer=customer, remote=remote, subscription=subscription
    )
    moment = (remote.paid_at if paid else None) or (charge.created if charge else None)
    moment = moment or remote.created or timezone.now()
    card = charge.card if charge is not None else None
    payment = Payment.objects.create(
        vendor=vendor,
        customer=customer,
        order=order,
        subscription=subscription,
        amount=remote.amount_paid if paid else remote.amount_due,
        currency=remote.currency,
        status=Payment.Status.PAID if paid else Payment.Status.FAILED,
        created_at=moment,
        paid_at=moment if paid else None,
        failed_at=None if paid else moment,
        failure_message=(charge.failure_message if charge and not paid else "")[:500],
        processor=STRIPE,
        processor_ref=reference,
        card_brand=(card.brand if card else "")
        or (subscription.card_brand if subscription else ""),
        card_last4=(card.last4 if card else "")
        or (subscription.card_last4 if subscription else ""),
    )
    if paid:
        _invoice_for(payment=payment, remote=remote, historical=historical)
        if historical:
            # Already paid long ago: no receipt for history.
            payment.receipt_sent_at = payment.created_at
            payment.save(update_fields=["receipt_sent_at"])
        else:
            effects.paid.append(payment.pk)
    elif historical:
        payment.failure_notice_sent_at = payment.created_at
        payment.save(update_fields=["failure_notice_sent_at"])
    else:
        effects.failed.append(payment.pk)
    if charge is not None and charge.refunds:
        stripe_refunds_record(payment=payment, charge=charge, effects=effects)
    return payment, CREATED


def _card_field(card, subscription: Subscription | None, name: str) -> str:
    """The card on the charge, else the subscription's card summary."""
    value = getattr(card, name, "") if card is not None else ""
    return value or (getattr(subscription, f"card_{name}") if subscription else "")


def _invoice_for(*, payment: Payment, remote: ProcessorInvoice, historical: bool) -> Invoice:
    # What Stripe charged, line by line, when it itemised the charge (every
    # Stripe invoice has lines; a bare charge has none and keeps one line).
    charged = charged_snapshot(remote=remote, vendor=payment.vendor) if remote.lines else None
    if not historical:
        return invoice_issue(payment=payment, tax_amount=remote.tax, charged=charged)
    number = remote.number or remote.id
    if Invoice.objects.filter(vendor=payment.vendor, number=number).exists():
        number = remote.id  # Stripe numbers are unique per account; ids always
    return Invoice.objects.create(
        vendor=payment.vendor,
        customer=payment.customer,
        payment=payment,
        sequence=None,
        imported=True,
        number=number,
        issued_at=remote.created or payment.created_at,
        seller=seller_snapshot(payment.vendor),
        currency=payment.currency,
        paid_via=paid_via(payment),
        **invoice_contents(payment=payment, tax_amount=remote.tax, charged=charged),
    )


def stripe_refunds_record(
    *, payment: Payment, charge: ProcessorCharge, effects: Effects | None = None
) -> int:
    """Record each of the charge's refunds (once each); returns how many were new."""
    created = 0
    for refund in charge.refunds:
        if refund.status not in ("", "succeeded", "pending"):
            continue
        row, new = refund_record(
            payment=payment,
            amount=refund.amount,
            reason=refund.reason,
            refunded_at=refund.created or timezone.now(),
            processor_ref=refund.id,
        )
        if new:
            created += 1
            if effects is not None:
                effects.refunds.append(row.pk)
    return created


@transaction.atomic
def stripe_charge_record(
    *,
    vendor: Vendor,
    adapter,
    charge: ProcessorCharge,
    historical: bool = False,
    effects: Effects | None = None,
    customer: Customer | None = None,
) -> tuple[Payment | None, str]:
    """A charge and its refunds. A charge that paid an invoice goes through
    that invoice; a one-time charge without one becomes its own order."""
    effects = effects if effects is not None else Effects()
    payment = Payment.objects.filter(
        vendor=vendor, processor=STRIPE, processor_ref=charge.id
    ).first()
    if payment is None and charge.invoice_id:
        payment, _ = stripe_invoice_record(
            vendor=vendor,
            adapter=adapter,
            remote=adapter.invoice_get(invoice_id=charge.invoice_id),
            charge=charge,
            historical=historical,
            effects=effects,
        )
        return payment, (CREATED if payment is not None else UNCHANGED)
    if payment is not None:
        new = stripe_refunds_record(payment=payment, charge=charge, effects=effects)
        return payment, (UPDATED if new else UNCHANGED)
    if charge.status != "succeeded" or not charge.customer_id:
        return None, UNCHANGED
    customer = customer or stripe_customer_ensure(
        vendor=vendor, adapter=adapter, customer_id=charge.customer_id
    )
    moment = charge.created or timezone.now()
    order, _ = Order.objects.get_or_create(
        vendor=vendor,
        processor=STRIPE,
        processor_ref=charge.id,
        defaults={
            "customer": customer,
            "number": charge.id,
            "product": PURCHASE,
            "amount": charge.amount,
            "currency": charge.currency,
            "status": Order.Status.PAID,
            "created_at": moment,
        },
    )
    payment = Payment.objects.create(
        vendor=vendor,
        customer=customer,
        order=order,
        amount=charge.amount,
        currency=charge.currency,
        status=Payment.Status.PAID,
        created_at=moment,
        paid_at=moment,
        processor=STRIPE,
        processor_ref=charge.id,
        card_brand=charge.card.brand if charge.card else "",
        card_last4=charge.card.last4 if charge.card else "",
        receipt_sent_at=moment if historical else None,
    )
    remote = ProcessorInvoice(
        id=charge.id,
        customer_id=charge.customer_id,
        status="paid",
        currency=charge.currency,
        total=charge.amount,
        amount_paid=charge.amount,
        created=moment,
    )
    _invoice_for(payment=payment, remote=remote, historical=historical)
    if not historical:
        effects.paid.append(payment.pk)
    stripe_refunds_record(payment=payment, charge=charge, effects=effects)
    return payment, CREATED
