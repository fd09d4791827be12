"""Invoices: per-vendor sequential numbering and the immutable snapshot."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import Invoice, InvoiceSequence, Payment


def _next_sequence(*, vendor) -> int:
    """Take the vendor's next invoice number inside the caller's transaction.

    The sequence row stays locked until that transaction ends, so two
    concurrent payments never share a number, and a rollback leaves no gap.
    """
    sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(vendor=vendor)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def seller_snapshot(vendor) -> dict:
    return {
        "name": vendor.name,
        "address": vendor.address,
        "support_email": vendor.support_email,
        "logo": vendor.logo.name if vendor.logo else "",
    }


def buyer_snapshot(customer) -> dict:
    return {"name": customer.name, "email": customer.email, "address": customer.address_lines}


def paid_via(payment: Payment) -> str:
    if payment.card_brand and payment.card_last4:
        return f"{payment.card_brand.title()} •••• {payment.card_last4}"
    return payment.get_processor_display()


def invoice_issue(
    *,
    payment: Payment,
    issued_at: datetime | None = None,
    tax_label: str = "",
    tax_amount: Decimal = Decimal("0"),
) -> Invoice:
    """Issue the invoice for a paid payment (once: a second call returns it)."""
    existing = Invoice.objects.filter(payment=payment).first()
    if existing:
        return existing
    vendor = payment.vendor
    with transaction.atomic():
        sequence = _next_sequence(vendor=vendor)
        subtotal = payment.amount - tax_amount
        line = {
            "description": payment.order.product,
            "quantity": 1,
            "unit_amount": str(subtotal),
            "amount": str(subtotal),
        }
        return Invoice.objects.create(
            vendor=vendor,
            customer=payment.customer,
            payment=payment,
            sequence=sequence,
            number=f"{vendor.invoice_prefix}-{sequence:06d}",
            issued_at=issued_at or payment.paid_at or timezone.now(),
            seller=seller_snapshot(vendor),
            buyer=buyer_snapshot(payment.customer),
            lines=[line],
            subtotal=subtotal,
            tax_label=tax_label,
            tax_amount=tax_amount,
            total=payment.amount,
            currency=payment.currency,
            paid_via=paid_via(payment),
        )
