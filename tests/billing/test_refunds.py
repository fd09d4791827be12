"""Refunds and credit notes: the rows, the numbers, and what the customer sees
in the history, on the invoice page and in both PDFs."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import CreditNote, Payment
from billing.refunds import refund_record
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def payment(alice):
    order = OrderFactory(customer=alice, product="Course Workbook", amount=Decimal("40.00"))
    return PaymentFactory(order=order, processor_ref="ch_1")


def refund(payment, amount, ref, reason=""):
    return refund_record(
        payment=payment,
        amount=Decimal(amount),
        reason=reason,
        refunded_at=timezone.now(),
        processor_ref=ref,
    )


def test_a_partial_refund_is_stored_with_its_credit_note(payment):
    row, created = refund(payment, "15.00", "re_1", "requested_by_customer")
    assert created
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("15.00"))
    assert payment.order.status == "partially_refunded"
    note = row.credit_note
    assert note.number == "NORTHWIND-CN-000001"
    assert (note.total, note.reason) == (Decimal("15.00"), "requested_by_customer")
    assert note.buyer["email"] == "alice@example.com"
    assert note.seller["name"] == "Northwind Courses"


def test_the_same_refund_twice_is_one_refund(payment):
    refund(payment, "15.00", "re_1")
    _, created = refund(payment, "15.00", "re_1")
    assert not created
    assert payment.refunds.count() == 1 and CreditNote.objects.count() == 1


def test_refunds_never_take_a_payment_below_zero(payment):
    refund(payment, "30.00", "re_1")
    refund(payment, "30.00", "re_2")  # the processor's rounding, or a bug there
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")
    assert payment.net_amount == Decimal("0")
    assert payment.status == "refunded" and payment.order.status == "refunded"
    assert [n.total for n in CreditNote.objects.order_by("sequence")] == [
        Decimal("30.00"),
        Decimal("10.00"),
    ]
    with pytest.raises(ValueError):
        refund(payment, "1.00", "re_3")


def test_credit_notes_have_their_own_series_and_leave_invoice_numbers_alone(alice):
    first = PaymentFactory(order=OrderFactory(customer=alice), processor_ref="ch_a")
    refund(first, "5.00", "re_a")
    second = PaymentFactory(order=OrderFactory(customer=alice), processor_ref="ch_b")
    assert first.invoice.number == "NORTHWIND-000001"
    assert second.invoice.number == "NORTHWIND-000002"
    refund(second, "5.00", "re_b")
    assert list(CreditNote.objects.order_by("sequence").values_list("number", flat=True)) == [
        "NORTHWIND-CN-000001",
        "NORTHWIND-CN-000002",
    ]


def test_the_history_shows_refunded_and_partially_refunded_with_the_amount(client, alice):
    partial = PaymentFactory(order=OrderFactory(customer=alice, amount=Decimal("40.00")))
    full = PaymentFactory(
        order=OrderFactory(customer=alice, amount=Decimal("12.00")),
        created_at=timezone.now() - timedelta(days=1),
    )
    refund(partial, "15.00", "re_p")
    refund(full, "12.00", "re_f")
    sign_in(client, alice)
    page = client.get("/northwind/updateinfo/purchases/").content.decode()
    assert 'Partially refunded</span> <span class="purchases__refunded">$15.00' in page
    assert 'Refunded</span> <span class="purchases__refunded">$12.00' in page
    assert "Paid in full" not in page


def test_the_invoice_page_shows_the_refund_and_links_its_credit_note(client, alice, payment):
    row, _ = refund(payment, "15.00", "re_1")
    sign_in(client, alice)
    page = client.get(f"/northwind/updateinfo/invoices/{payment.invoice.number}/").content.decode()
    assert "NORTHWIND-CN-000001" in page
    assert "−$15.00" in page
    assert "Net paid" in page and "$25.00" in page
    assert "Paid in full" not in page
    assert "Partially refunded" in page
    assert "/northwind/updateinfo/credit-notes/NORTHWIND-CN-000001/pdf" in page


def test_the_invoice_pdf_shows_the_refund_even_if_rendered_before(client, alice, payment):
    sign_in(client, alice)
    url = f"/northwind/updateinfo/invoices/{payment.invoice.number}/pdf"
    before = pdf_text(b"".join(client.get(url).streaming_content))
    assert "Paid in full" in before
    refund(payment, "40.00", "re_1")
    after = pdf_text(b"".join(client.get(url).streaming_content))
    assert "This payment was refunded." in after
    assert "NORTHWIND-CN-000001" in after
    assert "Paid in full" not in after


def test_the_credit_note_pdf(client, alice, payment):
    refund(payment, "15.00", "re_1", "duplicate")
    sign_in(client, alice)
    response = client.get("/northwind/updateinfo/credit-notes/NORTHWIND-CN-000001/pdf")
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
    assert "credit-note-NORTHWIND-CN-000001.pdf" in response["Content-Disposition"]
    text = pdf_text(b"".join(response.streaming_content))
    assert "Credit note" in text and "CN-000001" in text  # the number may wrap
    assert payment.invoice.number in text
    assert "$15.00" in text and "duplicate" in text


def test_another_customers_credit_note_is_a_404(client, alice, bob, acme_alice, payment):
    refund(payment, "15.00", "re_1")
    sign_in(client, bob)
    assert (
        client.get("/northwind/updateinfo/credit-notes/NORTHWIND-CN-000001/pdf").status_code == 404
    )
    client.cookies.clear()
    sign_in(client, acme_alice)
    assert client.get("/acme/updateinfo/credit-notes/NORTHWIND-CN-000001/pdf").status_code == 404


def test_a_failed_payment_has_nothing_to_refund(alice):
    failed = PaymentFactory(order=OrderFactory(customer=alice), status=Payment.Status.FAILED)
    with pytest.raises(ValueError):
        refund(failed, "1.00", "re_x")
