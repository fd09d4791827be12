"""Refunds: what the processor gave back, recorded on the payment.

A refund (full or partial) is a Refund row on the payment; the payment keeps
the refunded sum and says "refunded" or "partially refunded". Each refund
gets a credit note (billing.documents.credit_notes). The invoice itself is
never edited: only its stored PDF is dropped, so the next download shows the
refund.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from .documents.credit_notes import credit_note_issue
from .documents.invoices import invoice_issue
from .models import Invoice, Order, Payment, Refund


def refund_record(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    refunded_at: datetime,
    processor_ref: str,
) -> tuple[Refund, bool]:
    """Record a refund the processor made (once per processor reference) and
    issue its credit note. Returns (refund, created)."""
    # A with block rather than @transaction.atomic: mutmut 3 leaves decorated
    # functions unmutated, and this one is measured (docs/testing/mutation.md).
    with transaction.atomic():
        # The payment row is the lock: two deliveries of one refund (or two
        # refunds at once) add up one after the other.
        payment = (
            Payment.objects.select_for_update().select_related("vendor", "order").get(pk=payment.pk)
        )
        if processor_ref:
            existing = Refund.objects.filter(
                vendor=payment.vendor, processor=payment.processor, processor_ref=processor_ref
            ).first()
            if existing is not None:
                return existing, False
        if payment.status == Payment.Status.FAILED:
            raise ValueError("a failed payment took no money to refund")
        # Never more than what was paid, whatever the processor's rounding.
        amount = min(amount, payment.amount - payment.amount_refunded)
        if amount <= 0:
            raise ValueError("nothing left to refund on this payment")
        refund = Refund.objects.create(
            vendor=payment.vendor,
            payment=payment,
            amount=amount,
            currency=payment.currency,
            reason=(reason or "")[:200],
            refunded_at=refunded_at,
            processor=payment.processor,
            processor_ref=processor_ref,
        )
        total = Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"]
        payment.amount_refunded = min(total or Decimal("0"), payment.amount)
        payment.status = (
            Payment.Status.REFUNDED
            if payment.amount_refunded >= payment.amount
            else Payment.Status.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["amount_refunded", "status"])
        order = payment.order
        if order.subscription_id is None:
            order.status = (
                Order.Status.REFUNDED
                if payment.status == Payment.Status.REFUNDED
                else Order.Status.PARTIALLY_REFUNDED
            )
            order.save(update_fields=["status"])
        invoice = invoice_issue(payment=payment)
        # Its PDF, like an invoice's, is rendered at the first download (no
        # render for every refund of a busy day).
        credit_note_issue(refund=refund, invoice=invoice)
        # The invoice snapshot stays as issued; its PDF is drawn again, at
        # the next download, so that it shows the refund.
        Invoice.objects.filter(pk=invoice.pk).update(pdf="")
        invoice.pdf = ""
        return refund, True
