""".../invoices/<number>/xml and .../credit-notes/<number>/xml: the e-invoice
XML alone, for the signed-in customer's own documents only, the same bytes
the PDF embeds, linked from the invoice page."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.documents.einvoice import credit_note_xml, invoice_xml
from billing.refunds import refund_record
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory


@pytest.fixture
def invoice(alice):
    order = OrderFactory(customer=alice, product="Watercolour Course", amount=Decimal("49.00"))
    return PaymentFactory(order=order).invoice


@pytest.fixture
def credit_note(invoice):
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=Decimal("9.00"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_xml",
    )
    return refund.credit_note


def xml_url(invoice) -> str:
    return f"/{invoice.vendor.slug}/updateinfo/invoices/{invoice.number}/xml"


def credit_note_url(credit_note) -> str:
    return f"/{credit_note.vendor.slug}/updateinfo/credit-notes/{credit_note.number}/xml"


def test_it_downloads_the_invoices_xml(alice_client, invoice):
    response = alice_client.get(xml_url(invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="invoice-{invoice.number}.xml"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response.content == invoice_xml(invoice)
    assert f"<ram:ID>{invoice.number}</ram:ID>".encode() in response.content


def test_it_downloads_a_credit_notes_xml(alice_client, credit_note):
    response = alice_client.get(credit_note_url(credit_note))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="credit-note-{credit_note.number}.xml"'
    )
    assert response.content == credit_note_xml(credit_note)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in response.content


def test_the_invoice_page_links_both(alice_client, invoice, credit_note):
    page = alice_client.get(f"/northwind/updateinfo/invoices/{invoice.number}/").text
    assert f'href="{xml_url(invoice)}"' in page
    assert "E-invoice (XML)" in page
    assert f'href="{credit_note_url(credit_note)}"' in page


def test_a_three_decimal_currency_has_no_xml_and_no_link(alice_client, alice):
    """No e-invoice in KWD (billing.documents.einvoice.einvoice_exists)."""
    order = OrderFactory(customer=alice, amount=Decimal("12.500"), currency="KWD")
    kwd = PaymentFactory(order=order, currency="KWD").invoice
    refund, _ = refund_record(
        payment=kwd.payment,
        amount=Decimal("1.250"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_kwd",
    )
    assert alice_client.get(xml_url(kwd)).status_code == 404
    assert alice_client.get(credit_note_url(refund.credit_note)).status_code == 404
    page = alice_client.get(f"/northwind/updateinfo/invoices/{kwd.number}/").text
    assert "/xml" not in page and "(XML)" not in page
    assert "Download PDF" in page


def test_the_link_is_in_the_hubs_language(client, acme_alice):
    """Acme's hub is in German (its locale)."""
    invoice = PaymentFactory(order=OrderFactory(customer=acme_alice)).invoice
    sign_in(client, acme_alice)
    page = client.get(f"/acme/updateinfo/invoices/{invoice.number}/").text
    assert 'lang="de"' in page
    assert "E-Rechnung (XML)" in page


def test_another_customers_documents_are_not_found(client, bob, invoice, credit_note):
    sign_in(client, bob)
    assert client.get(xml_url(invoice)).status_code == 404
    assert client.get(credit_note_url(credit_note)).status_code == 404


def test_another_vendors_customer_finds_nothing(client, acme_alice, invoice, credit_note):
    sign_in(client, acme_alice)
    # The same numbers under acme's address, and northwind's own address.
    acme = f"/acme/updateinfo/invoices/{invoice.number}/xml"
    acme_note = f"/acme/updateinfo/credit-notes/{credit_note.number}/xml"
    assert client.get(acme).status_code == 404
    assert client.get(acme_note).status_code == 404
    assert client.get(xml_url(invoice)).status_code == 302  # not signed in at northwind


def test_signed_out_it_sends_to_the_access_form(client, invoice, credit_note):
    for url in (xml_url(invoice), credit_note_url(credit_note)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/northwind/updateinfo/?next=")


def test_they_answer_get_only(alice_client, invoice, credit_note):
    assert alice_client.post(xml_url(invoice)).status_code == 405
    assert alice_client.post(credit_note_url(credit_note)).status_code == 405


def test_the_xml_costs_as_many_queries_as_the_invoice_page(alice_client, invoice):
    """The vendor, the customer, the invoice with its payment: the XML is
    built from the snapshot, without a query of its own."""
    with CaptureQueriesContext(connection) as captured:
        assert alice_client.get(xml_url(invoice)).status_code == 200
    queries = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(queries) == 3, queries
