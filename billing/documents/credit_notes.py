"""Credit notes: the document each refund gets (billing.refunds records the
refund and asks for it here).

A credit note is numbered in the vendor's credit-note series (the invoice
prefix plus "CN", so it never shares a number with an invoice) and is an
immutable snapshot with its own PDF, rendered once and kept in storage.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from billing.models import CreditNote, Invoice, InvoiceSequence, Refund
from billing.money import currency_exponent

from .invoices import buyer_snapshot, seller_snapshot
from .tax_rates import invoice_tax_rates


def _next_credit_note_sequence(*, vendor) -> int:
    """The vendor's next credit note number, under the same row lock as
    invoice numbers (gap-free, a rollback gives the number back)."""
    sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(vendor=vendor)
    sequence.last_credit_note_number += 1
    sequence.save(update_fields=["last_credit_note_number"])
    return sequence.last_credit_note_number


def credit_note_prefix(vendor) -> str:
    return f"{vendor.invoice_prefix}-CN"


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


def credit_note_tax_rates(credit_note: CreditNote) -> list[dict]:
    """The credit note's tax per rate, derived from its invoice's
    (billing.documents.tax_rates.invoice_tax_rates) in proportion to the part
    of the invoice's total refunded: a refund gives back the same mix of
    rates as was charged. Each rate's amounts are rounded to the currency;
    what rounding leaves over goes to the last rate, so the parts add up to
    the refund."""
    rates = invoice_tax_rates(credit_note.invoice)
    total = credit_note.invoice.total
    if not rates or not total:
        return rates
    share = credit_note.total / total
    quantum = Decimal(1).scaleb(-currency_exponent(credit_note.currency))
    derived = []
    for entry in rates:
        taxable = entry.get("taxable_amount") or "0"
        derived.append(
            entry
            | {
                "taxable_amount": str((Decimal(taxable) * share).quantize(quantum)),
                "amount": str((Decimal(entry["amount"]) * share).quantize(quantum)),
            }
        )
    # Taxable amounts are net of tax, included or not: net plus tax is what was paid.
    gross = sum((Decimal(e["taxable_amount"]) + Decimal(e["amount"]) for e in derived), Decimal(0))
    rest = credit_note.total - gross
    if rest:
        last = derived[-1]
        last["taxable_amount"] = str(Decimal(last["taxable_amount"]) + rest)
    return derived


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
