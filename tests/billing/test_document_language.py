"""Invoices and credit notes in the vendor's language or the customer's (the
vendor's setting): text, dates, amounts' notation, country names and the
PDF's /Lang follow it; the number and the amounts never change."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from billing.documents.invoices import invoice_issue
from billing.documents.pdf import credit_note_pdf_render, pdf_render
from billing.refunds import refund_record
from tests.billing.test_pdf import pdf_text
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory
from tests.support.pdf import pdf_catalog

ISSUED = datetime(2026, 12, 7, 12, tzinfo=UTC)


@pytest.fixture
def vendor(vendor):
    """A German seller offering German, English and French."""
    vendor.locale = "de"
    vendor.country = "DE"
    vendor.default_currency = "EUR"
    vendor.languages = ["de", "en", "fr"]
    vendor.save()
    return vendor


@pytest.fixture
def claire(vendor):
    """A customer in France who chose French."""
    return CustomerFactory(
        vendor=vendor,
        email="claire@example.com",
        name="Claire Martin",
        address_line1="3 rue de la Paix",
        city="Paris",
        postal_code="75002",
        country="FR",
        language="fr",
    )


def invoice_of(customer, amount=Decimal("1234.56")):
    order = OrderFactory(customer=customer, amount=amount, currency="EUR", number="ORD-77")
    payment = PaymentFactory(order=order, invoice=False)
    return invoice_issue(payment=payment, issued_at=ISSUED)


def plain(text: str) -> str:
    """pdftotext's text with CLDR's no-break spaces as plain ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def amounts(text: str) -> list[str]:
    """Every amount printed, as digits only: the same amounts read the same
    whatever the notation ("1.234,56 €" and "1 234,56 €" are 123456)."""
    return [re.sub(r"\D", "", found) for found in re.findall(r"\d[\d., ]*,\d\d", plain(text))]


def test_by_default_documents_are_in_the_vendors_language(vendor, claire, tmp_path):
    pdf = pdf_render(invoice=invoice_of(claire))
    assert "/Lang (de)" in pdf_catalog(pdf)
    text = plain(pdf_text(pdf, tmp_path))
    assert "7. Dezember 2026" in text
    assert "1.234,56 €" in text
    assert "Frankreich" in text


def test_the_customers_language_when_the_vendor_says_so(vendor, claire, tmp_path):
    vendor.document_language = vendor.DocumentLanguage.CUSTOMER
    vendor.save()
    pdf = pdf_render(invoice=invoice_of(claire))
    assert "/Lang (fr)" in pdf_catalog(pdf)
    text = plain(pdf_text(pdf, tmp_path))
    assert "7 décembre 2026" in text
    assert "1 234,56 €" in text
    assert "France" in text and "Frankreich" not in text
    with translation.override("fr"):
        assert translation.gettext("Invoice date") in text


def test_a_customer_without_a_choice_gets_the_vendors_language(vendor, claire):
    vendor.document_language = vendor.DocumentLanguage.CUSTOMER
    vendor.save()
    claire.language = ""
    claire.save()
    assert "/Lang (de)" in pdf_catalog(pdf_render(invoice=invoice_of(claire)))


def test_the_number_and_the_amounts_never_change_with_the_language(vendor, claire, tmp_path):
    vendor.document_language = vendor.DocumentLanguage.CUSTOMER
    vendor.save()
    invoice = invoice_of(claire)
    french = pdf_text(pdf_render(invoice=invoice), tmp_path)
    claire.language = "de"
    claire.save()
    invoice.refresh_from_db()
    german = pdf_text(pdf_render(invoice=invoice), tmp_path)
    assert french != german  # the same document, in two languages
    for text in (french, german):
        assert invoice.number in text and "ORD-77" in text
    assert amounts(french) == amounts(german)
    assert "123456" in amounts(french)
    invoice.refresh_from_db()
    assert (invoice.total, invoice.subtotal) == (Decimal("1234.56"), Decimal("1234.56"))


def test_a_credit_note_follows_the_same_setting(vendor, claire, tmp_path):
    vendor.document_language = vendor.DocumentLanguage.CUSTOMER
    vendor.save()
    invoice = invoice_of(claire, amount=Decimal("40.00"))
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=Decimal("12.34"),
        reason="",
        refunded_at=ISSUED,
        processor_ref="re_1",
    )
    pdf = credit_note_pdf_render(credit_note=refund.credit_note)
    assert "/Lang (fr)" in pdf_catalog(pdf)
    text = plain(pdf_text(pdf, tmp_path))
    assert "7 décembre 2026" in text and "12,34 €" in text and "France" in text
    # The number, which the layout wraps at its hyphen ("NORTHWIND-" / "CN-000001").
    assert refund.credit_note.number.removeprefix("NORTHWIND-") in text


def test_the_hub_page_of_an_invoice_names_the_country_in_the_pages_language(client, vendor, claire):
    from tests.conftest import sign_in

    invoice = invoice_of(claire)
    sign_in(client, claire)
    page = client.get(f"{vendor.hub_path}invoices/{invoice.number}/").text
    assert '<html lang="fr"' in page and "France" in page and "Frankreich" not in page
