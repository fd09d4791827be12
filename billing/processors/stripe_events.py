"""Processing one stored Stripe event: read first, then record.

Every event is processed under its owner's lock (the Stripe customer it
names, see billing.processors.object_reads), in two steps:

1. **Read** what is needed from Stripe, outside any database transaction,
   and only what is not known already: an object a newer read covers is not
   read (`ReadLog`), a customer or subscription we have is not read to be
   linked, and the charge of an invoice whose payment is recorded is never
   read (a recorded payment changes only through refunds, which
   charge.refunded reads). A renewal's invoice.paid reads the invoice (its
   payment intent and charge id expanded in the same request) and the
   subscription (product and card expanded): two reads, which then cover
   its customer.subscription.updated.
2. **Record** it in one short transaction, in which no processor call can
   happen (`NoProcessorCalls` stands in for the adapter): a lock or a row
   is never held while the network answers. A subscription whose row the
   hub changed since its read began (a Cancel or a Keep while the read was
   on its way) is not recorded from that read: the event is read again
   (`SubscriptionVersions`, `read_until_unchanged`).

The reads' start times are kept only after the transaction committed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction

from billing.models import Customer, Payment, Processor, Subscription, WebhookEvent
from billing.tax_ids import customer_tax_id_refresh
from vendors.models import Vendor

from .adapters.base import ProcessorCustomer, ProcessorSubscription
from .object_reads import (
    ReadLog,
    SubscriptionVersions,
    coalescing_wait,
    object_lock,
    read_until_unchanged,
)
from .stripe_sync import (
    Effects,
    stripe_charge_record,
    stripe_customer_record,
    stripe_invoice_record,
    stripe_subscription_record,
)

STRIPE = Processor.STRIPE
SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"}
OTHER_EVENTS = {
    "charge.refunded",
    "customer.updated",
    "customer.tax_id.updated",
    "payment_method.attached",
}
HANDLED = SUBSCRIPTION_EVENTS | INVOICE_EVENTS | OTHER_EVENTS


class NoProcessorCalls:
    """Stands for the adapter while rows are recorded: every read was made
    before the transaction opened, so a call here is a bug, and fails
    loudly instead of holding the transaction open on the network."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"processor call {name!r} inside the recording transaction")


NO_CALLS = NoProcessorCalls()


def _id(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "") if isinstance(value, str) else ""


def stripe_event_owner(kind: str, obj: dict[str, Any], object_id: str) -> str:
    """The object whose lock the event's processing holds: the Stripe
    customer an invoice, charge, subscription or payment method names (the
    events of one renewal share it), else the object itself."""
    if kind == "customer.updated":
        return object_id
    return _id(obj.get("customer")) or object_id


def stripe_event_process(
    *, event: WebhookEvent, data: dict[str, Any], effects: Effects, adapter
) -> bool:
    """Bring our rows to Stripe's current state for this event; False when
    the event type is not one we handle."""
    obj = (data.get("data") or {}).get("object") or {}
    obj = obj if isinstance(obj, dict) else {}
    object_id = _id(obj.get("id"))
    kind = event.event_type
    if not object_id or kind not in HANDLED:
        return False
    vendor = event.vendor
    # Let the rest of its renewal arrive (billing.processors.object_reads).
    coalescing_wait(received_at=event.received_at)
    log = ReadLog(vendor_id=vendor.pk, processor=STRIPE)
    owner = stripe_event_owner(kind, obj, object_id)

    def attempt() -> bool:
        context = _Context(event=event, vendor=vendor, adapter=adapter, log=log, effects=effects)
        return context.handle(kind, obj, object_id)

    with object_lock(vendor_id=vendor.pk, processor=STRIPE, object_id=owner):
        handled = read_until_unchanged(attempt, log=log, effects=effects, key=owner)
        log.commit()
    return handled


class _Context:
    def __init__(self, *, event: WebhookEvent, vendor: Vendor, adapter, log: ReadLog, effects):
        self.event = event
        self.vendor = vendor
        self.adapter = adapter
        self.log = log
        self.effects = effects
        self.versions = SubscriptionVersions(vendor_id=vendor.pk, processor=STRIPE)

    def handle(self, kind: str, obj: dict[str, Any], object_id: str) -> bool:
        if kind in INVOICE_EVENTS:
            return self.invoice(object_id)
        if kind in SUBSCRIPTION_EVENTS:
            return self.subscription(object_id)
        if kind == "charge.refunded":
            return self.charge(object_id)
        if kind == "customer.updated":
            return self.customer(object_id)
        customer_id = _id(obj.get("customer"))
        if kind == "payment_method.attached":
            return bool(customer_id) and self.customer_subscriptions(customer_id)
        # customer.tax_id.updated: Stripe checked the tax ID; re-read it
        if customer_id:
            customer_tax_id_refresh(
                vendor=self.vendor,
                adapter=self.adapter,
                customer_id=customer_id,
                tax_id_id=object_id,
            )
        return bool(customer_id)

    # --- reading (no transaction open) ---------------------------------------------

    def covered(self, object_id: str) -> bool:
        return self.log.covers(object_id, received_at=self.event.received_at)

    def _customer_read(self, customer_id: str) -> ProcessorCustomer | None:
        """Stripe's customer, when we do not have them yet."""
        if not customer_id or self.vendor.customers.filter(stripe_customer_id=customer_id).exists():
            return None
        return self.adapter.customer_get(customer_id=customer_id)

    def _subscription_read(self, subscription_id: str) -> ProcessorSubscription | None:
        """Stripe's subscription, unless a newer read than this event's
        recorded it already."""
        known = self.versions.before_read(subscription_id)
        if known and self.covered(subscription_id):
            return None
        started = self.log.now()
        remote = self.adapter.subscription_get(subscription_id=subscription_id)
        self.log.read(subscription_id, started)
        return remote

    # --- recording (one transaction, no processor call) -----------------------------

    def _customer_record(self, customer_id: str, remote: ProcessorCustomer | None) -> Customer:
        if remote is not None:
            customer, _ = stripe_customer_record(vendor=self.vendor, remote=remote)
            return customer
        return self.vendor.customers.get(stripe_customer_id=customer_id)

    # --- the events -----------------------------------------------------------------

    def invoice(self, invoice_id: str) -> bool:
        if self.covered(invoice_id):
            return True
        started = self.log.now()
        remote = self.adapter.invoice_get(invoice_id=invoice_id)
        self.log.read(invoice_id, started)
        remote_customer = self._customer_read(remote.customer_id)
        remote_subscription = (
            self._subscription_read(remote.subscription_id) if remote.subscription_id else None
        )
        reference = remote.charge_id or remote.id
        charge = None
        if (
            remote.charge_id
            and not Payment.objects.filter(
                vendor=self.vendor, processor=STRIPE, processor_ref=reference
            ).exists()
            and (remote.status != "paid" or not remote.subscription_id)
        ):
            # A failure's message, or a one-time invoice's card; a paid
            # renewal takes the card from its subscription, read above.
            charge = self.adapter.charge_get(charge_id=remote.charge_id, find_invoice=False)
        with transaction.atomic():
            self._invoice_record(remote, remote_customer, remote_subscription, charge)
        return True

    def _invoice_record(self, remote, remote_customer, remote_subscription, charge) -> None:
        """An invoice as read, with its customer, its subscription (when it
        was read too) and its charge, recorded without a processor call,
        inside the caller's transaction."""
        if remote_subscription is not None:
            self.versions.before_record(remote_subscription.id)
        customer = self._customer_record(remote.customer_id, remote_customer)
        if remote_subscription is not None:
            stripe_subscription_record(
                vendor=self.vendor,
                adapter=NO_CALLS,
                remote=remote_subscription,
                customer=customer,
            )
        stripe_invoice_record(
            vendor=self.vendor,
            adapter=NO_CALLS,
            remote=remote,
            charge=charge,
            effects=self.effects,
            fetch_charge=False,
            customer=customer,
        )

    def subscription(self, subscription_id: str) -> bool:
        remote = self._subscription_read(subscription_id)
        if remote is None:
            return True  # a newer read recorded it
        remote_customer = self._customer_read(remote.customer_id)
        with transaction.atomic():
            self.versions.before_record(remote.id)
            customer = self._customer_record(remote.customer_id, remote_customer)
            stripe_subscription_record(
                vendor=self.vendor, adapter=NO_CALLS, remote=remote, customer=customer
            )
        return True

    def charge(self, charge_id: str) -> bool:
        """charge.refunded: the charge and its refunds (charges are not
        marked as read: an invoice's events never read its charge's refunds)."""
        charge = self.adapter.charge_get(charge_id=charge_id, find_invoice=False)
        payment = Payment.objects.filter(
            vendor=self.vendor, processor=STRIPE, processor_ref=charge.id
        ).first()
        invoice = remote_customer = remote_subscription = None
        if payment is None:
            invoice_id = self.adapter.invoice_id_for_payment_intent(
                payment_intent_id=charge.payment_intent_id
            )
            charge = replace(charge, invoice_id=invoice_id) if invoice_id else charge
        if payment is None and charge.invoice_id:
            invoice = self.adapter.invoice_get(invoice_id=charge.invoice_id)
            remote_customer = self._customer_read(invoice.customer_id)
            if invoice.subscription_id and not self.versions.before_read(invoice.subscription_id):
                remote_subscription = self.adapter.subscription_get(
                    subscription_id=invoice.subscription_id
                )
        elif payment is None and charge.status == "succeeded" and charge.customer_id:
            remote_customer = self._customer_read(charge.customer_id)
        with transaction.atomic():
            if invoice is not None:
                self._invoice_record(invoice, remote_customer, remote_subscription, charge)
            else:
                customer = None
                if remote_customer is not None:
                    customer = self._customer_record(charge.customer_id, remote_customer)
                stripe_charge_record(
                    vendor=self.vendor,
                    adapter=NO_CALLS,
                    charge=charge,
                    effects=self.effects,
                    customer=customer,
                )
        return True

    def customer(self, customer_id: str) -> bool:
        started = self.log.now()
        remote = self.adapter.customer_get(customer_id=customer_id)
        self.log.read(customer_id, started)
        with transaction.atomic():
            customer, _ = stripe_customer_record(vendor=self.vendor, remote=remote)
        return self._subscriptions_refresh(customer)

    def customer_subscriptions(self, customer_id: str) -> bool:
        """payment_method.attached: the customer's subscriptions follow
        their default card."""
        remote_customer = self._customer_read(customer_id)
        if remote_customer is not None:
            with transaction.atomic():
                customer = self._customer_record(customer_id, remote_customer)
        else:
            customer = self.vendor.customers.get(stripe_customer_id=customer_id)
        return self._subscriptions_refresh(customer)

    def _subscriptions_refresh(self, customer: Customer) -> bool:
        remotes = []
        for processor_id in Subscription.objects.filter(
            vendor=self.vendor, processor=STRIPE, customer=customer
        ).values_list("processor_id", flat=True):
            self.versions.before_read(processor_id)
            started = self.log.now()
            remotes.append(self.adapter.subscription_get(subscription_id=processor_id))
            self.log.read(processor_id, started)
        with transaction.atomic():
            for remote in remotes:
                self.versions.before_record(remote.id)
            for remote in remotes:
                stripe_subscription_record(
                    vendor=self.vendor, adapter=NO_CALLS, remote=remote, customer=customer
                )
        return True
