"""The invoice and credit note PDFs as documents: the seller's paper (US
Letter in the US and Canada, A4 elsewhere), tagged PDF/UA with a title and
the vendor's language, and the Order ID printed."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing.documents.pdf import credit_note_pdf_render, pdf_render
from billing.refunds import refund_record
from tests.billing.test_pdf import pdf_text
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, VendorFactory
from tests.support.pdf import pdf_catalog, pdf_info

LETTER = "612 x 792 pts (letter)"
A4 = "595.276 x 841.89 pts (A4)"


def invoice_for(vendor, **order):
    customer = CustomerFactory(vendor=vendor, email="buyer@example.com", name="Buyer")
    return PaymentFactory(order=OrderFactory(customer=customer, **order)).invoice


@pytest.mark.parametrize(
    ("country", "page_size"),
    [("US", LETTER), ("CA", LETTER), ("DE", A4), ("GB", A4), ("", A4)],
)
def test_the_paper_follows_the_sellers_country(db, country, page_size):
    vendor = VendorFactory(slug=f"seller-{country.lower() or 'none'}", country=country)
    info = pdf_info(pdf_render(invoice=invoice_for(vendor)))
    assert info["Page size"] == page_size
    assert info["Pages"] == "1"


def test_it_is_tagged_pdf_ua_with_a_title(vendor, alice):
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    pdf = pdf_render(invoice=invoice)
    info = pdf_info(pdf)
    assert info["Tagged"] == "yes"
    assert info["Title"] == f"Invoice {invoice.number}"
    catalog = pdf_catalog(pdf)
    assert "/StructTreeRoot" in catalog
    assert "/MarkInfo <</Marked true>>" in catalog
    # Viewers show the title, not the file name (PDF/UA asks for it).
    assert "/DisplayDocTitle true" in catalog
    assert b"pdfuaid:part" in pdf or "/Metadata" in catalog


@pytest.mark.parametrize(("locale", "lang"), [("en", "en"), ("en-gb", "en-gb"), ("de", "en")])
def test_its_language_is_the_vendors_display_language(db, locale, lang):
    """German has no translation of ours yet: an English document says "en"
    (vendors.formatting.vendor_language), never "de" over English text."""
    vendor = VendorFactory(slug=f"lang-{locale}", locale=locale)
    catalog = pdf_catalog(pdf_render(invoice=invoice_for(vendor)))
    assert f"/Lang ({lang})" in catalog


def test_it_prints_the_order_id(vendor, alice, tmp_path):
    invoice = PaymentFactory(order=OrderFactory(customer=alice, number="NW-4711")).invoice
    text = pdf_text(pdf_render(invoice=invoice), tmp_path)
    assert "Order ID" in text and "NW-4711" in text


def test_a_credit_note_follows_the_same_rules(db):
    vendor = VendorFactory(slug="letter-seller", country="US")
    invoice = invoice_for(vendor, amount=Decimal("40.00"))
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=Decimal("10.00"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_1",
    )
    pdf = credit_note_pdf_render(credit_note=refund.credit_note)
    info = pdf_info(pdf)
    assert (info["Page size"], info["Tagged"]) == (LETTER, "yes")
    assert info["Title"] == f"Credit note {refund.credit_note.number}"
    assert "/Lang (en)" in pdf_catalog(pdf)
