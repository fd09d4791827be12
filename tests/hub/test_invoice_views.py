"""/invoices/<number>/ and /invoices/<number>/pdf: the signed-in customer's
invoice, as the page and as the stored PDF."""

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.documents.invoices import invoice_issue
from billing.models import Invoice
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a0b6a6f50000000049454e44ae426082"
)


def page_url(invoice) -> str:
    return f"/{invoice.vendor.slug}/updateinfo/invoices/{invoice.number}/"


def pdf_url(invoice) -> str:
    return page_url(invoice) + "pdf"


@pytest.fixture
def invoice(alice):
    order = OrderFactory(customer=alice, product="Watercolour Course", amount=Decimal("49.00"))
    return PaymentFactory(order=order).invoice


def body(response) -> str:
    return (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )


# --- the page ----------------------------------------------------------------


def test_it_shows_the_invoice(alice_client, invoice):
    response = alice_client.get(page_url(invoice))
    assert response.status_code == 200
    html = body(response)
    for expected in [
        "Northwind Courses",
        "1 Test Street",
        "help@nw.example",
        invoice.number,
        "Alice Adams",
        "alice@example.com",
        "Watercolour Course",
        "$49.00",
        "Visa •••• 4242",
        'badge badge--paid">Paid<',
        pdf_url(invoice),
    ]:
        assert expected in html, expected


def test_it_shows_the_order_id_at_no_extra_query(
    alice_client, alice, django_assert_max_num_queries
):
    invoice = PaymentFactory(order=OrderFactory(customer=alice, number="NW-4711")).invoice
    with django_assert_max_num_queries(6) as captured:
        html = body(alice_client.get(page_url(invoice)))
    assert '<th scope="row">Order ID</th><td class="invoice__order">NW-4711</td>' in html
    # The payment keeps its order's number: no query reads the order.
    assert not any('FROM "billing_order"' in q["sql"] for q in captured.captured_queries)


def test_it_shows_what_was_true_at_issue_time(alice_client, invoice, vendor, alice):
    vendor.name = "Renamed Ltd"
    vendor.support_email = "new@renamed.example"
    vendor.save()
    alice.name = "Alice Renamed"
    alice.save()
    html = body(alice_client.get(page_url(invoice)))
    invoice_part = html.split('class="invoice"', 1)[1].split("</article>", 1)[0]
    assert "Northwind Courses" in invoice_part and "Renamed Ltd" not in invoice_part
    assert "help@nw.example" in invoice_part
    assert "Alice Adams" in invoice_part and "Alice Renamed" not in invoice_part


def test_it_shows_the_sellers_logo_from_the_snapshot(alice_client, vendor, alice):
    vendor.logo.save("northwind.png", ContentFile(PNG_1PX))
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    html = body(alice_client.get(page_url(invoice)))
    assert f'class="invoice__logo" src="/media/{vendor.logo.name}"' in html


def test_it_shows_tax_when_present(alice_client, alice):
    payment = PaymentFactory(
        order=OrderFactory(customer=alice, amount=Decimal("120.00")), invoice=False
    )
    invoice = invoice_issue(payment=payment, tax_label="VAT 20%", tax_amount=Decimal("20.00"))
    html = body(alice_client.get(page_url(invoice)))
    assert "Subtotal" in html and "$100.00" in html
    assert "VAT 20%" in html and "$20.00" in html and "$120.00" in html


def test_it_has_no_tax_rows_without_tax(alice_client, invoice):
    html = body(alice_client.get(page_url(invoice)))
    assert "Subtotal" not in html and "Tax" not in html


def test_it_says_when_the_payment_was_refunded(alice_client, alice):
    invoice = PaymentFactory(order=OrderFactory(customer=alice), status="refunded").invoice
    html = body(alice_client.get(page_url(invoice)))
    assert 'badge badge--refunded">Refunded<' in html
    assert "This payment was refunded." in html


def test_it_formats_money_and_dates_for_the_vendor(client, acme_alice, other_vendor):
    """Acme is German, but the hub has no German text yet: the whole page is
    English, its numbers and dates too (and in acme's time zone)."""
    from datetime import UTC, datetime

    other_vendor.timezone = "Europe/Berlin"
    other_vendor.save()
    order = OrderFactory(customer=acme_alice, amount=Decimal("1234.50"))
    # 23:30 UTC on 31 March is already 1 April in Berlin.
    moment = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    invoice = PaymentFactory(order=order, created_at=moment).invoice
    sign_in(client, acme_alice)
    html = body(client.get(page_url(invoice)))
    assert "€1,234.50" in html
    assert "April 1, 2026" in html
    assert "1. April 2026" not in html and 'lang="en"' in html


def test_another_customers_invoice_is_not_found(client, bob, invoice):
    sign_in(client, bob)
    assert client.get(page_url(invoice)).status_code == 404
    assert client.get(pdf_url(invoice)).status_code == 404


def test_another_vendors_invoice_is_not_found(client, acme_alice, invoice, other_vendor):
    sign_in(client, acme_alice)
    # The same number under acme's address, and northwind's own address.
    assert client.get(f"/acme/updateinfo/invoices/{invoice.number}/").status_code == 404
    assert client.get(f"/acme/updateinfo/invoices/{invoice.number}/pdf").status_code == 404
    assert client.get(page_url(invoice)).status_code == 302  # not signed in at northwind


def test_an_unknown_number_is_not_found(alice_client, vendor):
    assert alice_client.get("/northwind/updateinfo/invoices/NORTHWIND-999999/").status_code == 404
    assert (
        alice_client.get("/northwind/updateinfo/invoices/NORTHWIND-999999/pdf").status_code == 404
    )


def test_signed_out_it_sends_to_the_access_form(client, invoice):
    for url in (page_url(invoice), pdf_url(invoice)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/northwind/updateinfo/?next=")


def test_the_page_costs_three_queries(alice_client, invoice):
    # The vendor (its cache is off in tests), the customer, the invoice with
    # its payment; the invoice's vendor is the one already loaded. The session
    # is read from Redis when the tests have it, else by one more query.
    with CaptureQueriesContext(connection) as captured:
        assert alice_client.get(page_url(invoice)).status_code == 200
    queries = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(queries) == 3, queries
    assert sum('"vendors_vendor"' in sql for sql in queries) == 1


# --- the PDF ----------------------------------------------------------------------


def test_it_downloads_the_pdf_named_after_the_invoice(alice_client, invoice, tmp_path):
    response = alice_client.get(pdf_url(invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="invoice-{invoice.number}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF-")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ["Northwind Courses", invoice.number, "Alice Adams", "Watercolour Course"]:
        assert expected in text
    assert "$49.00" in text


def test_the_second_download_is_served_from_storage(alice_client, invoice, renders):
    first = alice_client.get(pdf_url(invoice))
    first_bytes = b"".join(first.streaming_content)
    stored = Invoice.objects.get(pk=invoice.pk).pdf
    mtime = stored.storage.get_modified_time(stored.name)

    second = alice_client.get(pdf_url(invoice))
    assert b"".join(second.streaming_content) == first_bytes
    assert renders == [invoice.pk]
    again = Invoice.objects.get(pk=invoice.pk).pdf
    assert again.name == stored.name
    assert again.storage.get_modified_time(again.name) == mtime


def test_a_stored_pdf_download_costs_a_few_queries(
    alice_client, invoice, django_assert_max_num_queries
):
    alice_client.get(pdf_url(invoice))
    with django_assert_max_num_queries(5):
        response = alice_client.get(pdf_url(invoice))
        assert response.status_code == 200
    response.close()


def test_the_views_answer_get_only(alice_client, invoice):
    assert alice_client.post(page_url(invoice)).status_code == 405
    assert alice_client.post(pdf_url(invoice)).status_code == 405


def test_it_shows_quantities_only_when_a_line_has_several(alice_client, invoice):
    html = body(alice_client.get(page_url(invoice)))
    assert "Quantity" not in html and "Unit price" not in html
    Invoice.objects.filter(pk=invoice.pk).update(
        lines=[
            {
                "description": "Seat licence",
                "quantity": 3,
                "unit_amount": "10.00",
                "amount": "30.00",
            },
            {"description": "Setup", "quantity": 1, "unit_amount": "19.00", "amount": "19.00"},
        ]
    )
    html = body(alice_client.get(page_url(invoice)))
    assert "Quantity" in html and "Unit price" in html
    assert "Seat licence" in html and "$10.00" in html and "$30.00" in html


def test_alex_downloads_a_demo_invoice(client, db, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from billing.models import Customer

    call_command("seed_demo", force=True, stdout=StringIO())
    alex = Customer.objects.get(vendor__slug="demo", email="alex@example.com")
    invoice = alex.invoices.order_by("-sequence").first()
    sign_in(client, alex)
    assert "Alex Morgan" in body(client.get(page_url(invoice)))
    response = client.get(pdf_url(invoice))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    # Another demo customer, bob-like, gets a 404 for alex's invoice.
    sign_in(client, Customer.objects.get(vendor__slug="demo", email="casey@example.com"))
    assert client.get(pdf_url(invoice)).status_code == 404


def test_a_stored_pdf_is_opened_from_storage_without_asking_whether_it_exists(
    alice_client, invoice
):
    """One storage call for a stored PDF (on a bucket each call is a round trip)."""
    from unittest import mock

    from django.core.files.storage import FileSystemStorage

    url = f"/northwind/updateinfo/invoices/{invoice.number}/pdf"
    b"".join(alice_client.get(url).streaming_content)  # rendered and stored once
    with mock.patch.object(FileSystemStorage, "exists", side_effect=AssertionError("exists()")):
        response = alice_client.get(url)
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_stored_pdf_whose_file_went_missing_is_rendered_again(alice_client, invoice):
    url = f"/northwind/updateinfo/invoices/{invoice.number}/pdf"
    b"".join(alice_client.get(url).streaming_content)
    invoice.refresh_from_db()
    invoice.pdf.storage.delete(invoice.pdf.name)
    response = alice_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
