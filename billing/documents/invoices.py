"""Invoices: per-vendor sequential numbering, the immutable snapshot, the
customer-scoped lookup and the PDF rendered once and kept in storage.

A PDF is rendered only when something needs it: the customer's first
download (or the admin's), or a receipt that attaches it
(`Vendor.receipt_attach_pdf`, rendered on the `pdf` queue). Issuing an
invoice renders nothing: on a renewal day that would be one render per
payment, for documents most customers never open."""

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from billing.models import Invoice, InvoiceSequence, Payment
from vendors import formatting


def _next_sequence(*, vendor) -> int:
    """Take the vendor's next invoice number inside the caller's transaction.

    The sequence row stays locked until that transaction ends, so two
    concurrent payments never share a number, and a rollback leaves no gap.
    """
    sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(vendor=vendor)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


# The seller's tax details (vendors.models.Vendor): in the snapshot only when
# set, so an invoice of a vendor without them is the same as before they
# existed, and an invoice issued before they were set keeps rendering as it did.
SELLER_TAX_FIELDS = ("legal_name", "registered_address", "vat_id", "tax_number", "tax_note")


def seller_snapshot(vendor) -> dict:
    snapshot = {
        "name": vendor.name,
        "address": vendor.address,
        "support_email": vendor.support_email,
        "logo": vendor.logo.name if vendor.logo else "",
    }
    snapshot |= {name: getattr(vendor, name) for name in SELLER_TAX_FIELDS if getattr(vendor, name)}
    # The e-invoice's seller country and, without a VAT ID, its seller
    # identifier (the account, BR-CO-26): kept as they were when issued, so
    # a vendor who moves or renames its account does not change old invoices.
    snapshot["account"] = vendor.slug
    if vendor.country:
        snapshot["country"] = vendor.country
    return snapshot


def buyer_snapshot(customer) -> dict:
    """Billed-to details as printed: the country by its name in the vendor's
    language, since an invoice is read by people (and tax offices), not
    programs."""
    lines = customer.address_lines
    snapshot = {"name": customer.name, "email": customer.email, "address": lines}
    # A business customer's company and tax ID, only when given (as above).
    if customer.company:
        snapshot["company"] = customer.company
    if customer.tax_id:
        snapshot |= {"tax_id": customer.tax_id, "tax_id_type": customer.tax_id_type}
    if customer.country and lines and lines[-1] == customer.country:
        vendor = customer.vendor
        locale = formatting.babel_locale(vendor, formatting.vendor_language(vendor))
        lines[-1] = formatting.country_name(customer.country, locale)
        # The code too: a document printed in another language (the
        # customer's) names the country in that one (hub_format.buyer_address).
        snapshot |= {"country": customer.country, "country_name": lines[-1]}
    return snapshot


def buyer_snapshot_as_charged(customer, tax_ids: list[tuple[str, str]]) -> dict:
    """The buyer snapshot with the tax IDs the processor printed on the
    invoice (Stripe's customer_tax_ids, fixed at finalization): the ones the
    charge was made against, even if the customer changed theirs since."""
    snapshot = buyer_snapshot(customer)
    if tax_ids:
        kind, value = tax_ids[0]
        snapshot |= {"tax_id": value, "tax_id_type": kind}
        if len(tax_ids) > 1:
            snapshot["tax_ids"] = [{"type": k, "value": v} for k, v in tax_ids]
    return snapshot


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
    charged: dict | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> Invoice:
    """Issue the invoice for a paid payment (once: a second call returns it).

    `charged` is what the processor charged (billing.processors.charged
    .charged_snapshot): lines with periods, discounts and taxes, per-rate
    totals. Without it the invoice has the payment's one line, as before,
    with the billing `period` it pays for when the caller knows it."""
    existing = Invoice.objects.filter(payment=payment).first()
    if existing:
        return existing
    vendor = payment.vendor
    with transaction.atomic():
        sequence = _next_sequence(vendor=vendor)
        # Checked again under the vendor's sequence lock: the same payment
        # reported twice at once (a webhook redelivered) gets one invoice.
        existing = Invoice.objects.filter(payment=payment).first()
        if existing:
            transaction.set_rollback(True)
            return existing
        return Invoice.objects.create(
            vendor=vendor,
            customer=payment.customer,
            payment=payment,
            sequence=sequence,
            number=f"{vendor.invoice_prefix}-{sequence:06d}",
            issued_at=issued_at or payment.paid_at or timezone.now(),
            seller=seller_snapshot(vendor),
            currency=payment.currency,
            paid_via=paid_via(payment),
            **invoice_contents(
                payment=payment,
                tax_label=tax_label,
                tax_amount=tax_amount,
                charged=charged,
                period=period,
            ),
        )


def invoice_contents(
    *,
    payment: Payment,
    tax_label: str = "",
    tax_amount: Decimal = Decimal("0"),
    charged: dict | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> dict:
    """The buyer, lines and totals of a new invoice (issued in our sequence
    or imported with the processor's number)."""
    if charged is None:
        subtotal = payment.amount - tax_amount
        line: dict[str, Any] = {
            "description": payment.order.product,
            "quantity": 1,
            "unit_amount": str(subtotal),
            "amount": str(subtotal),
        }
        plain: dict[str, Any] = {
            "buyer": buyer_snapshot(payment.customer),
            "lines": [line],
            "subtotal": subtotal,
            "tax_label": tax_label,
            "tax_amount": tax_amount,
            "total": payment.amount,
            "amount_paid": payment.amount,
        }
        if period is not None:
            # Days in the vendor's time zone, as charged_snapshot writes them.
            zone = formatting.vendor_zone(payment.vendor)
            start, end = (timezone.localtime(moment, zone).date() for moment in period)
            line |= {"period_start": start.isoformat(), "period_end": end.isoformat()}
            plain |= {"period_start": start, "period_end": end}
        return plain
    contents = {key: value for key, value in charged.items() if key != "customer_tax_ids"}
    if not contents["lines"]:
        # A charge the processor itemised nothing for: the order's product.
        net = payment.amount - contents["tax_amount"]
        contents["lines"] = [
            {
                "description": payment.order.product,
                "quantity": 1,
                "unit_amount": str(net),
                "amount": str(net),
                "discounts": [],
                "taxes": [],
            }
        ]
    contents["buyer"] = buyer_snapshot_as_charged(
        payment.customer, charged.get("customer_tax_ids") or []
    )
    return contents


# --- reads ------------------------------------------------------------------


def invoice_get(*, customer, number: str) -> Invoice:
    """The signed-in customer's invoice with this number, else 404.

    Scoped by vendor and customer together: another customer's invoice, or an
    invoice with the same number at another vendor, is "not found" (never
    "forbidden", which would confirm that it exists).
    """
    try:
        invoice = Invoice.objects.select_related("payment").get(
            vendor_id=customer.vendor_id, customer=customer, number=number
        )
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None
    payment = invoice.payment
    # The customer and its vendor are the ones the hub request has loaded.
    payment.customer = invoice.customer = customer
    payment.vendor = invoice.vendor = customer.vendor
    return invoice


def invoice_logo_url(invoice: Invoice) -> str:
    """The URL of the seller's logo as recorded when the invoice was issued."""
    name = invoice.seller.get("logo") or ""
    return default_storage.url(name) if name else ""


def invoice_shows_quantities(invoice: Invoice) -> bool:
    """Quantity and unit price columns only when some line has more than one
    item: for the usual single item they repeat the amount, and a phone
    screen has no room for columns that say nothing."""
    return any(str(line.get("quantity", 1)) != "1" for line in invoice.lines)


def invoice_pdf_filename(invoice: Invoice) -> str:
    """The name a customer's browser saves the PDF as."""
    return f"invoice-{invoice.number}.pdf"


# --- PDF ----------------------------------------------------------------------


def invoice_pdf_stored(invoice: Invoice) -> bool:
    """Whether the invoice has a PDF in storage (a name, and its file)."""
    name = invoice.pdf.name
    return name is not None and name != "" and invoice.pdf.storage.exists(name)


def invoice_pdf_ensure(*, invoice: Invoice) -> Invoice:
    """Render the invoice's PDF once and keep it in Django's default storage.

    Safe to call any number of times and from several processes at once: the
    invoice row is locked while we look and render, so two first downloads
    at once (or a download and the pdf queue's render for a receipt) render
    it once, the second waiting for the first, and a PDF already stored is reused
    as it is (an issued invoice never changes, so neither does its PDF).
    A stored name whose file went missing from storage is rendered again.
    """
    if invoice_pdf_stored(invoice):
        return invoice
    from .pdf import pdf_render  # WeasyPrint loads Pango; only pay for it when rendering

    with transaction.atomic():
        locked = (
            # Only the invoice row is locked; the payment row comes along
            # for the document without a lock.
            Invoice.objects.select_for_update(of=("self",))
            .select_related("payment", "vendor")
            .get(pk=invoice.pk)
        )
        if not invoice_pdf_stored(locked):
            content = ContentFile(pdf_render(invoice=locked))
            # A random folder keeps stored PDFs unguessable wherever the storage
            # is published (a media URL, a bucket); customers get them only
            # through the signed-in view, under the friendly file name.
            name = f"{locked.vendor_id}/{secrets.token_urlsafe(16)}/{invoice_pdf_filename(locked)}"
            locked.pdf.save(name, content, save=False)
            # Only the file column: the snapshot itself is immutable.
            Invoice.objects.filter(pk=locked.pk).update(pdf=locked.pdf.name)
    invoice.pdf = locked.pdf.name
    return invoice


def invoice_pdf_open(*, invoice: Invoice) -> File:
    """The invoice's stored PDF, opened for reading; rendered and stored first
    when there is none yet (or its file went missing from storage).

    A stored PDF costs one storage call (open), not two (exists, then open):
    on a bucket each is a round trip.
    """
    if invoice.pdf.name:
        try:
            return invoice.pdf.storage.open(invoice.pdf.name, "rb")
        except FileNotFoundError:
            pass
    invoice = invoice_pdf_ensure(invoice=invoice)
    return invoice.pdf.storage.open(str(invoice.pdf.name), "rb")
