"""The seller's tax details and the buyer's company and tax ID on invoices
and credit notes: in the snapshot of documents issued after they were set,
printed on the PDF and the invoice page; earlier documents stay as they were."""

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.documents.pdf import credit_note_pdf_render, pdf_render
from billing.refunds import refund_record
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory
from tests.support.pdf import pdf_text as layout_text

NOTE = "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet."


def pdf_text(pdf: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def document(page: str) -> str:
    """The invoice itself, without the page around it (nonces, menus)."""
    return page[page.index('<article class="invoice"') : page.index("</article>")]


def pay(customer, product="Watercolour Course"):
    order = OrderFactory(customer=customer, product=product, amount=Decimal("49.00"))
    return PaymentFactory(order=order, processor_ref=f"ch_{order.pk}")


def set_tax_details(vendor, alice, *, country="DE"):
    # The country also decides how dates are written (en_DE), so a test
    # comparing pages keeps the vendor's.
    vendor.country = country or vendor.country
    vendor.legal_name = "Northwind Kurse GmbH"
    vendor.registered_address = "Hafenstraße 1\n20259 Hamburg"
    vendor.vat_id = "DE136695976"
    vendor.tax_number = "93815/08152"
    vendor.tax_note = NOTE
    vendor.save()
    alice.company = "Adams Trading Ltd"
    alice.country = "AT"
    alice.tax_id = "ATU13585627"
    alice.tax_id_type = "eu_vat"
    alice.save()


def test_an_invoice_issued_after_they_are_set_prints_both_sides_tax_details(vendor, alice):
    set_tax_details(vendor, alice)
    invoice = pay(alice).invoice
    assert invoice.seller["vat_id"] == "DE136695976"
    assert invoice.buyer["tax_id"] == "ATU13585627"
    text = pdf_text(pdf_render(invoice=invoice))
    for expected in [
        "Northwind Kurse GmbH",
        "Hafenstraße 1",
        "VAT ID: DE136695976",
        "Tax number: 93815/08152",
        NOTE,
        "Adams Trading Ltd",
        "VAT ID: ATU13585627",
    ]:
        assert expected in text, expected


def test_the_invoice_page_shows_them_too(client, vendor, alice):
    set_tax_details(vendor, alice)
    invoice = pay(alice).invoice
    sign_in(client, alice)
    page = client.get(f"/northwind/updateinfo/invoices/{invoice.number}/").text
    assert "VAT ID: DE136695976" in page
    assert "Tax number: 93815/08152" in page
    assert NOTE in page
    assert "Adams Trading Ltd" in page and "ATU13585627" in page


def test_an_earlier_invoice_keeps_its_snapshot_and_renders_as_it_did(client, vendor, alice):
    invoice = pay(alice).invoice
    sign_in(client, alice)
    url = f"/northwind/updateinfo/invoices/{invoice.number}/"
    before = document(client.get(url).text)
    seller, buyer = dict(invoice.seller), dict(invoice.buyer)

    set_tax_details(vendor, alice, country="")
    invoice.refresh_from_db()
    assert (invoice.seller, invoice.buyer) == (seller, buyer)
    assert document(client.get(url).text) == before
    text = pdf_text(pdf_render(invoice=invoice))
    assert "DE136695976" not in text and "ATU13585627" not in text and "UStG" not in text


def test_a_vendor_without_tax_details_snapshots_what_it_always_did(vendor, alice):
    invoice = pay(alice).invoice
    # No tax details; the account (and the country, when set) are there for
    # the e-invoice's seller, as they were on the day of issue.
    country = {"country"} if vendor.country else set()
    assert set(invoice.seller) == {"name", "address", "support_email", "logo", "account"} | country
    assert "tax_id" not in invoice.buyer and "company" not in invoice.buyer


def test_a_credit_note_issued_after_they_are_set_prints_them(vendor, alice):
    payment = pay(alice)
    set_tax_details(vendor, alice)
    refund, _ = refund_record(
        payment=payment,
        amount=Decimal("10.00"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_1",
    )
    credit_note = refund.credit_note
    text = pdf_text(credit_note_pdf_render(credit_note=credit_note))
    assert "VAT ID: DE136695976" in text
    assert NOTE in text
    assert "Adams Trading Ltd" in text and "VAT ID: ATU13585627" in text
    # The invoice it refers to was issued before: it stays without them.
    assert "vat_id" not in payment.invoice.seller


def test_a_tax_id_other_than_vat_is_called_a_tax_id(vendor, alice):
    alice.country, alice.tax_id, alice.tax_id_type = "AU", "83914571673", "au_abn"
    alice.save()
    text = pdf_text(pdf_render(invoice=pay(alice).invoice))
    assert "Tax ID: 83914571673" in text


def header(text: str) -> str:
    """The seller's part of a PDF's text: above "BILLED TO" (the footer
    repeats the seller's name by design)."""
    return text[: text.index("BILLED TO")]


def acme_like(vendor):
    """As the demo's acme: the legal name is the trading name, the address
    starts with it, and the registered address is the same street and city
    with the commercial register after them."""
    vendor.name = vendor.legal_name = "Acme Software GmbH"
    vendor.address = "Acme Software GmbH\nHauptstraße 5\n10115 Berlin\nGermany"
    vendor.registered_address = (
        "Hauptstraße 5\n10115 Berlin\nAmtsgericht Charlottenburg, HRB 123456 B"
    )
    vendor.vat_id = "DE136695976"
    vendor.save()


def test_the_seller_is_named_and_located_once(vendor, alice):
    acme_like(vendor)
    payment = pay(alice)
    refund, _ = refund_record(
        payment=payment,
        amount=Decimal("10.00"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_once",
    )
    for pdf in (
        pdf_render(invoice=payment.invoice),
        credit_note_pdf_render(credit_note=refund.credit_note),
    ):
        seller = header(layout_text(pdf))
        assert seller.count("Acme Software GmbH") == 1, seller
        assert seller.count("Hauptstraße 5") == 1 and seller.count("10115 Berlin") == 1, seller
        for expected in ("Germany", "Amtsgericht Charlottenburg, HRB 123456 B", "DE136695976"):
            assert expected in seller, expected


def test_a_registered_office_elsewhere_is_printed_whole(vendor, alice):
    set_tax_details(vendor, alice)  # Northwind Kurse GmbH, Hafenstraße 1, 20259 Hamburg
    vendor.address = "Northwind Courses\nMarktplatz 3\n80331 München"
    vendor.save()
    seller = header(layout_text(pdf_render(invoice=pay(alice).invoice)))
    for expected in (
        "Marktplatz 3",
        "80331 München",
        "Northwind Kurse GmbH",
        "Hafenstraße 1",
        "20259 Hamburg",
    ):
        assert seller.count(expected) == 1, expected


def test_a_business_buyer_is_addressed_company_person_address(vendor, alice):
    alice.company = "Adams Trading Ltd"
    alice.address_line1 = "Ringstraße 7"
    alice.city = "Wien"
    alice.postal_code = "1010"
    alice.country = "AT"
    alice.save()
    payment = pay(alice)
    refund, _ = refund_record(
        payment=payment,
        amount=Decimal("10.00"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_order",
    )
    for pdf in (
        pdf_render(invoice=payment.invoice),
        credit_note_pdf_render(credit_note=refund.credit_note),
    ):
        text = layout_text(pdf)
        buyer = text[text.index("BILLED TO") :]
        assert buyer.count("Adams Trading Ltd") == 1
        company, person = buyer.index("Adams Trading Ltd"), buyer.index("Alice Adams")
        assert company < person < buyer.index("Ringstraße 7"), buyer
