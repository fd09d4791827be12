"""Refunds and their credit notes.

A refund (full or partial) is a Refund row on the payment; the payment keeps
the refunded sum and says "refunded" or "partially refunded". Each refund
gets a credit note: numbered in the vendor's credit-note series (the
invoice prefix plus "CN", so it never shares a number with an invoice),
an immutable snapshot with its own PDF. The invoice itself is never edited:
only its stored PDF is dropped, so the next download shows the refund.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .invoices import buyer_snapshot, invoice_issue, seller_snapshot
from .models import CreditNote, Invoice, InvoiceSequence, Order, Payment, Refund


def _next_credit_note_sequence(*, vendor) -> int:
    """The vendor's next credit note number, under the same row lock as
    invoice numbers (gap-free, a rollback gives the number back)."""
    sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(vendor=vendor)
    sequence.last_credit_note_number += 1
    sequence.save(update_fields=["last_credit_note_number"])
    return sequence.last_credit_note_number


def credit_note_prefix(vendor) -> str:
    return f"{vendor.invoice_prefix}-CN"


@transaction.atomic
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
    credit_note = credit_note_issue(refund=refund, invoice=invoice)
    from .tasks import credit_note_pdf_render_task

    transaction.on_commit(partial(credit_note_pdf_render_task.delay, credit_note.pk))
    # The invoice snapshot stays as issued; its PDF is drawn again so that it
    # shows the refund (the next download or the task renders it).
    Invoice.objects.filter(pk=invoice.pk).update(pdf="")
    from .invoices import invoice_pdf_enqueue

    invoice.pdf = ""
    invoice_pdf_enqueue(invoice=invoice)
    return refund, True


def credit_note_issue(*, refund: Refund, invoice: Invoice) -> CreditNote:
    """The credit note for a refund (once)."""
    existing = CreditNote.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    vendor = refund.vendor
    sequence = _next_credit_note_sequence(vendor=vendor)
    description = invoice.lines[0]["description"] if invoice.lines else ""
    return CreditNote.objects.create(
        vendor=vendor,
        customer=invoice.customer,
        refund=refund,
        invoice=invoice,
        sequence=sequence,
        number=f"{credit_note_prefix(vendor)}-{sequence:06d}",
        issued_at=refund.refunded_at or timezone.now(),
        seller=seller_snapshot(vendor),
        buyer=buyer_snapshot(invoice.customer),
        lines=[{"description": description, "amount": str(refund.amount)}],
        total=refund.amount,
        currency=refund.currency,
        reason=refund.reason,
    )


# --- reads and the PDF ------------------------------------------------------------


def credit_note_get(*, customer, number: str) -> CreditNote:
    """The signed-in customer's credit note with this number, else 404."""
    return get_object_or_404(
        CreditNote.objects.select_related("vendor", "invoice", "refund"),
        vendor_id=customer.vendor_id,
        customer=customer,
        number=number,
    )


def credit_note_pdf_filename(credit_note: CreditNote) -> str:
    return f"credit-note-{credit_note.number}.pdf"


def credit_note_pdf_ensure(*, credit_note: CreditNote) -> CreditNote:
    """Render the credit note's PDF once and keep it in storage (like invoices)."""
    name = credit_note.pdf.name
    if name and credit_note.pdf.storage.exists(name):
        return credit_note
    from .pdf import credit_note_pdf_render

    with transaction.atomic():
        locked = (
            CreditNote.objects.select_for_update()
            .select_related("vendor", "invoice")
            .get(pk=credit_note.pk)
        )
        stored = locked.pdf.name
        if not (stored and locked.pdf.storage.exists(stored)):
            content = ContentFile(credit_note_pdf_render(credit_note=locked))
            name = (
                f"{locked.vendor_id}/{secrets.token_urlsafe(16)}/{credit_note_pdf_filename(locked)}"
            )
            locked.pdf.save(name, content, save=False)
            CreditNote.objects.filter(pk=locked.pk).update(pdf=locked.pdf.name)
    credit_note.pdf = locked.pdf.name
    return credit_note
