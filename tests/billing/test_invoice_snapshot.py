"""The invoice as issued, field by field: the seller and buyer snapshots, the
line, tax, the date, how it was paid, and the logo URL (issue 27: the
survivors of mutation testing of billing/documents/invoices.py)."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from billing.documents.invoices import (
    buyer_snapshot,
    invoice_issue,
    invoice_logo_url,
    invoice_shows_quantities,
    paid_via,
    seller_snapshot,
)
from billing.models import Invoice, InvoiceSequence
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, VendorFactory

THEN = timezone.now().replace(microsecond=0) - timedelta(days=3)
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def test_the_invoice_records_the_payment_as_it_was(alice, vendor):
    order = OrderFactory(customer=alice, product="Course Workbook", amount=Decimal("19.00"))
    payment = PaymentFactory(order=order, paid_at=THEN, invoice=False)
    invoice = Invoice.objects.get(pk=invoice_issue(payment=payment).pk)
    assert (invoice.vendor, invoice.customer, invoice.payment) == (vendor, alice, payment)
    assert (invoice.sequence, invoice.number, invoice.issued_at) == (1, "NORTHWIND-000001", THEN)
    assert invoice.lines == [
        {
            "description": "Course Workbook",
            "quantity": 1,
            "unit_amount": "19.00",
            "amount": "19.00",
        }
    ]
    assert (invoice.subtotal, invoice.tax_label, invoice.tax_amount, invoice.total) == (
        Decimal("19.00"),
        "",
        Decimal("0"),
        Decimal("19.00"),
    )
    assert (invoice.currency, invoice.paid_via) == ("USD", "Visa •••• 4242")
    assert invoice.seller == {
        "name": "Northwind Courses",
        "address": "1 Test Street\nSpringfield",
        "support_email": "help@nw.example",
        "logo": "",
        "account": "northwind",
    }
    assert not invoice_shows_quantities(invoice)


def test_tax_is_taken_out_of_the_paid_amount(alice):
    payment = PaymentFactory(
        order=OrderFactory(customer=alice, amount=Decimal("19.00")), invoice=False
    )
    invoice = invoice_issue(payment=payment, tax_label="VAT 19%", tax_amount=Decimal("3.03"))
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.subtotal, invoice.tax_label, invoice.tax_amount, invoice.total) == (
        Decimal("15.97"),
        "VAT 19%",
        Decimal("3.03"),
        Decimal("19.00"),
    )
    assert invoice.lines[0]["unit_amount"] == invoice.lines[0]["amount"] == "15.97"


def test_the_issue_date_is_the_one_given_else_the_payments_else_now(alice):
    given = THEN - timedelta(days=1)
    first = PaymentFactory(order=OrderFactory(customer=alice), paid_at=THEN, invoice=False)
    assert invoice_issue(payment=first, issued_at=given).issued_at == given
    second = PaymentFactory(order=OrderFactory(customer=alice), paid_at=None, invoice=False)
    before = timezone.now()
    issued = invoice_issue(payment=second).issued_at
    assert before <= issued <= timezone.now()


def test_paid_via_names_the_card_else_the_processor(alice):
    card = PaymentFactory(order=OrderFactory(customer=alice), card_brand="mastercard")
    assert paid_via(card) == "Mastercard •••• 4242"
    assert card.invoice.paid_via == "Mastercard •••• 4242"
    no_last4 = PaymentFactory(order=OrderFactory(customer=alice), card_last4="")
    assert paid_via(no_last4) == "Stripe"
    no_brand = PaymentFactory(order=OrderFactory(customer=alice), card_brand="")
    assert paid_via(no_brand) == "Stripe"
    paypal = PaymentFactory(
        order=OrderFactory(customer=alice, processor="paypal"), card_brand="", card_last4=""
    )
    assert paid_via(paypal) == "PayPal"
    assert paypal.invoice.paid_via == "PayPal"


def test_the_buyer_snapshot_prints_the_address_and_names_the_country(vendor):
    customer = CustomerFactory(
        vendor=vendor,
        name="Carol Chen",
        email="carol@example.com",
        address_line1="1 Main St",
        city="Portland",
        state="OR",
        postal_code="97201",
        country="US",
    )
    assert buyer_snapshot(customer) == {
        "name": "Carol Chen",
        "email": "carol@example.com",
        "address": ["1 Main St", "Portland, OR 97201", "United States"],
        "country": "US",
        "country_name": "United States",
    }


def test_a_buyer_without_a_country_has_no_country_in_the_snapshot(vendor):
    customer = CustomerFactory(
        vendor=vendor, name="Dan", email="dan@example.com", address_line1="1 Main St", country=""
    )
    assert buyer_snapshot(customer) == {
        "name": "Dan",
        "email": "dan@example.com",
        "address": customer.address_lines,
    }
    assert "1 Main St" in customer.address_lines
    nobody = CustomerFactory(vendor=vendor, name="Eve", email="eve@example.com", country="")
    assert buyer_snapshot(nobody) == {"name": "Eve", "email": "eve@example.com", "address": []}


def test_the_seller_snapshot_keeps_the_logos_name_and_the_page_its_url(alice, vendor):
    no_logo = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    assert invoice_logo_url(no_logo) == ""
    vendor.logo.save("northwind.png", ContentFile(PNG_1PX))
    assert seller_snapshot(vendor)["logo"] == vendor.logo.name
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    assert invoice.seller["logo"] == vendor.logo.name
    assert invoice_logo_url(invoice) == default_storage.url(vendor.logo.name)
    # The logo recorded at issue time, not today's.
    assert invoice_logo_url(no_logo) == ""


def test_quantity_columns_only_for_a_line_with_several(alice):
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    invoice.lines = [{"description": "A", "amount": "1.00"}]  # no quantity: one
    assert not invoice_shows_quantities(invoice)
    invoice.lines = [{"description": "A", "quantity": 1}, {"description": "B", "quantity": 2}]
    assert invoice_shows_quantities(invoice)
    invoice.lines = [{"description": "A", "quantity": "3"}]
    assert invoice_shows_quantities(invoice)


def test_a_second_issue_for_the_same_payment_in_one_transaction_takes_no_number(vendor, alice):
    payment = PaymentFactory(order=OrderFactory(customer=alice), invoice=False)
    with transaction.atomic():
        first = invoice_issue(payment=payment)
        assert invoice_issue(payment=payment) == first
    assert InvoiceSequence.objects.get(vendor=vendor).last_number == 1
    assert (
        invoice_issue(
            payment=PaymentFactory(order=OrderFactory(customer=alice), invoice=False)
        ).sequence
        == 2
    )


@pytest.mark.services
def test_the_same_payment_reported_twice_at_once_gets_one_invoice_and_one_number(
    postgres, transactional_db
):
    """Both deliveries look before either has issued the invoice, then queue
    on the vendor's sequence lock: the second finds the first's invoice under
    the lock and gives its number back."""
    vendor = VendorFactory(slug="busy-shop")
    payment = PaymentFactory(
        order=OrderFactory(customer=CustomerFactory(vendor=vendor)), invoice=False
    )
    InvoiceSequence.objects.create(vendor=vendor)
    results: list = []
    errors: list[BaseException] = []

    def deliver():
        try:
            with transaction.atomic():
                results.append(invoice_issue(payment=payment))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # Hold the sequence lock so that both deliveries pass the first look
    # (no invoice yet) and wait on the lock.
    holder_ready, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                InvoiceSequence.objects.select_for_update().get(vendor=vendor)
                holder_ready.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holder_ready.wait(30)
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # both are now blocked on the lock
    release.set()
    for thread in [holder, *threads]:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in [holder, *threads]), "a thread is stuck"
    assert errors == []
    assert len(results) == 2 and results[0] is not None and results[0] == results[1]
    assert Invoice.objects.filter(payment=payment).count() == 1
    assert InvoiceSequence.objects.get(vendor=vendor).last_number == 1


@pytest.mark.services
def test_rendering_the_pdf_does_not_wait_for_a_payment_or_vendor_locked_elsewhere(
    postgres, transactional_db, renders
):
    """Only the invoice row is locked while its PDF is drawn: a refund or a
    webhook holding the payment's row (or the vendor's) does not hold up a
    download, and a download does not hold up them."""
    from billing.documents.invoices import invoice_pdf_ensure
    from billing.models import Payment
    from vendors.models import Vendor

    vendor = VendorFactory(slug="busy-shop")
    invoice = PaymentFactory(order=OrderFactory(customer=CustomerFactory(vendor=vendor))).invoice
    ready, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Payment.objects.select_for_update().get(pk=invoice.payment_id)
                Vendor.objects.select_for_update().get(pk=vendor.pk)
                ready.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert ready.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            invoice_pdf_ensure(invoice=invoice)
    finally:
        release.set()
        holder.join(timeout=60)
    assert renders == [invoice.pk]
    assert Invoice.objects.get(pk=invoice.pk).pdf


@pytest.mark.services
def test_an_invoiced_payment_reported_again_does_not_wait_for_the_numbering_lock(
    postgres, transactional_db
):
    """A redelivered event for a payment already invoiced gets its invoice
    at once: it does not queue behind the vendor's new invoices."""
    vendor = VendorFactory(slug="busy-shop")
    payment = PaymentFactory(order=OrderFactory(customer=CustomerFactory(vendor=vendor)))
    ready, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                InvoiceSequence.objects.select_for_update().get(vendor=vendor)
                ready.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert ready.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            again = invoice_issue(payment=payment)
    finally:
        release.set()
        holder.join(timeout=60)
    assert again == Invoice.objects.get(payment=payment)
    assert InvoiceSequence.objects.get(vendor=vendor).last_number == 1


def test_the_buyers_country_is_named_as_the_vendors_region_writes_it(db):
    """In the vendor's language as written in the vendor's country: a Swiss
    vendor's German says "Botswana" where Germany's says "Botsuana"."""
    swiss = VendorFactory(slug="zurich-shop", locale="de", country="CH")
    customer = CustomerFactory(vendor=swiss, country="BW", city="Gaborone")
    assert buyer_snapshot(customer)["country_name"] == "Botswana"
    assert buyer_snapshot(customer)["address"][-1] == "Botswana"
    german = VendorFactory(slug="berlin-shop", locale="de", country="DE")
    assert (
        buyer_snapshot(CustomerFactory(vendor=german, country="BW"))["country_name"] == "Botsuana"
    )
