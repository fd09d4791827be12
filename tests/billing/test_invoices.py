"""Invoices: the customer-scoped lookup and the PDF rendered once and stored."""

import time
from decimal import Decimal

import pytest
from django.db import transaction
from django.http import Http404

from billing.documents.invoices import invoice_get, invoice_pdf_ensure
from billing.models import Invoice
from billing.tasks import invoice_pdf_render_task
from tests.factories import OrderFactory, PaymentFactory


@pytest.fixture
def invoice(alice):
    return PaymentFactory(order=OrderFactory(customer=alice, amount=Decimal("19.00"))).invoice


def test_it_finds_the_customers_invoice_by_number(alice, invoice):
    assert invoice_get(customer=alice, number=invoice.number) == invoice


def test_it_hides_another_customers_invoice(bob, invoice):
    with pytest.raises(Http404):
        invoice_get(customer=bob, number=invoice.number)


def test_it_hides_the_same_number_at_another_vendor(acme_alice, invoice):
    # Acme's own first invoice has another prefix; give it the very same number.
    acme_invoice = PaymentFactory(order=OrderFactory(customer=acme_alice)).invoice
    Invoice.objects.filter(pk=acme_invoice.pk).update(number=invoice.number)
    assert invoice_get(customer=acme_alice, number=invoice.number).pk == acme_invoice.pk
    from billing.models import Customer

    alice = Customer.objects.get(pk=invoice.customer_id)
    assert invoice_get(customer=alice, number=invoice.number).pk == invoice.pk


def test_it_renders_the_pdf_once_and_keeps_it(invoice, renders):
    invoice_pdf_ensure(invoice=invoice)
    stored = Invoice.objects.get(pk=invoice.pk).pdf
    assert stored.name.endswith(f"/invoice-{invoice.number}.pdf")
    assert stored.storage.open(stored.name).read(5) == b"%PDF-"
    mtime = stored.storage.get_modified_time(stored.name)

    time.sleep(0.01)
    again = invoice_pdf_ensure(invoice=Invoice.objects.get(pk=invoice.pk))
    assert renders == [invoice.pk]
    assert again.pdf.name == stored.name
    assert stored.storage.get_modified_time(stored.name) == mtime


def test_it_keeps_the_stored_pdf_where_nobody_can_guess_it(invoice, alice):
    other = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    first = invoice_pdf_ensure(invoice=invoice).pdf.name
    second = invoice_pdf_ensure(invoice=other).pdf.name
    # vendor id / random folder / friendly name
    assert first.split("/")[2] != second.split("/")[2]
    assert len(first.split("/")[2]) >= 20


def test_it_renders_again_when_the_stored_file_is_gone(invoice, renders):
    name = invoice_pdf_ensure(invoice=invoice).pdf.name
    Invoice.objects.get(pk=invoice.pk).pdf.storage.delete(name)
    fresh = invoice_pdf_ensure(invoice=Invoice.objects.get(pk=invoice.pk))
    assert len(renders) == 2
    assert fresh.pdf.storage.exists(fresh.pdf.name)


def test_the_task_renders_and_is_safe_to_run_twice(invoice, renders):
    invoice_pdf_render_task.delay(invoice.pk)
    invoice_pdf_render_task.delay(invoice.pk)
    assert renders == [invoice.pk]
    assert Invoice.objects.get(pk=invoice.pk).pdf


def test_the_task_ignores_a_deleted_invoice(db, renders):
    invoice_pdf_render_task.delay(987654)
    assert renders == []


def test_the_task_acks_late():
    assert invoice_pdf_render_task.acks_late is True


def test_a_real_worker_renders_and_stores_the_pdf(celery_worker, alice):
    with transaction.atomic():
        invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
        transaction.on_commit(lambda: invoice_pdf_render_task.delay(invoice.pk))
    deadline = time.monotonic() + 30
    while not Invoice.objects.get(pk=invoice.pk).pdf and time.monotonic() < deadline:
        time.sleep(0.2)
    stored = Invoice.objects.get(pk=invoice.pk).pdf
    # The worker process has its own temporary MEDIA_ROOT under the test
    # settings, so the row is what this process can check.
    assert stored.name.endswith(f"/invoice-{invoice.number}.pdf"), "the worker stored no PDF"


def test_the_buyer_snapshot_names_the_country_in_the_vendors_language(acme_alice, alice):
    acme_alice.country = "DE"
    acme_alice.save()
    german = PaymentFactory(order__customer=acme_alice)
    english = PaymentFactory(order__customer=alice)  # alice lives in the US
    # In the vendor's language (acme is German); the code is kept, so a
    # document in the customer's language names it in theirs.
    assert german.invoice.buyer["address"][-1] == "Deutschland"
    assert german.invoice.buyer["country"] == "DE"
    assert english.invoice.buyer["address"][-1] == "United States"
