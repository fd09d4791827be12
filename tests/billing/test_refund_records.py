"""Refunds and their credit notes, field by field: what is stored, which
refunds count as "the same one", what is refused and why, and what happens
to the invoice's and the credit note's PDFs after the refund commits
(issue 27: the survivors of mutation testing of billing/refunds.py and
billing/documents/credit_notes.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.documents import pdf as billing_pdf
from billing.documents.credit_notes import credit_note_issue, credit_note_pdf_ensure
from billing.models import CreditNote, Invoice, InvoiceSequence, Order, Payment, Refund
from billing.refunds import refund_record
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, SubscriptionFactory

THEN = timezone.now().replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def payment(alice):
    order = OrderFactory(customer=alice, product="Course Workbook", amount=Decimal("40.00"))
    return PaymentFactory(order=order, processor_ref="ch_1")


@pytest.fixture
def credit_note_renders(monkeypatch):
    """The credit notes rendered to PDF (the real renderer runs; this counts)."""
    calls: list[int] = []
    real = billing_pdf.credit_note_pdf_render

    def counting(*, credit_note):
        calls.append(credit_note.pk)
        return real(credit_note=credit_note)

    monkeypatch.setattr(billing_pdf, "credit_note_pdf_render", counting)
    return calls


def refund(payment, amount, ref, reason="", refunded_at=None):
    return refund_record(
        payment=payment,
        amount=Decimal(amount),
        reason=reason,
        refunded_at=refunded_at or timezone.now(),
        processor_ref=ref,
    )


def test_the_refund_and_its_credit_note_record_exactly_what_the_processor_reported(
    payment, alice, vendor
):
    row, created = refund(payment, "15.00", "re_1", "requested_by_customer", refunded_at=THEN)
    assert created is True
    row = Refund.objects.get(pk=row.pk)
    assert (row.vendor, row.payment, row.amount, row.currency) == (
        vendor,
        payment,
        Decimal("15.00"),
        "USD",
    )
    assert (row.reason, row.refunded_at, row.processor, row.processor_ref) == (
        "requested_by_customer",
        THEN,
        "stripe",
        "re_1",
    )
    note = CreditNote.objects.get(refund=row)
    assert (note.vendor, note.customer, note.invoice) == (vendor, alice, payment.invoice)
    assert (note.sequence, note.number) == (1, "NORTHWIND-CN-000001")
    # Dated when the money went back, not when the webhook arrived.
    assert note.issued_at == THEN
    assert note.seller == {
        "name": "Northwind Courses",
        "address": "1 Test Street\nSpringfield",
        "support_email": "help@nw.example",
        "logo": "",
        "account": "northwind",
    }
    assert note.buyer == {
        "name": "Alice Adams",
        "email": "alice@example.com",
        "address": ["United States"],
        "country": "US",
        "country_name": "United States",
    }
    assert note.lines == [{"description": "Course Workbook", "amount": "15.00"}]
    assert (note.total, note.currency, note.reason) == (
        Decimal("15.00"),
        "USD",
        "requested_by_customer",
    )
    assert InvoiceSequence.objects.get(vendor=vendor).last_credit_note_number == 1


def test_a_long_reason_is_kept_to_its_first_200_characters(payment):
    row, _ = refund(payment, "15.00", "re_1", "x" * 199 + "yz" + "w" * 50)
    assert Refund.objects.get(pk=row.pk).reason == "x" * 199 + "y"
    assert CreditNote.objects.get(refund=row).reason == "x" * 199 + "y"


def test_a_refund_without_a_reason_stores_an_empty_one(payment):
    row = refund_record(
        payment=payment,
        amount=Decimal("5.00"),
        reason=None,  # type: ignore[arg-type]  # what a processor may send
        refunded_at=THEN,
        processor_ref="re_1",
    )[0]
    assert Refund.objects.get(pk=row.pk).reason == ""


def test_the_same_reference_at_another_vendor_or_processor_is_another_refund(
    payment, acme_alice, alice
):
    acme_payment = PaymentFactory(order=OrderFactory(customer=acme_alice), processor_ref="ch_1")
    paypal_payment = PaymentFactory(
        order=OrderFactory(customer=alice, processor="paypal"), processor_ref="PAY-1"
    )
    first, created = refund(payment, "5.00", "re_1")
    at_acme, acme_created = refund(acme_payment, "5.00", "re_1")
    at_paypal, paypal_created = refund(paypal_payment, "5.00", "re_1")
    assert created and acme_created and paypal_created
    assert len({first.pk, at_acme.pk, at_paypal.pk}) == 3
    assert (at_acme.payment, at_paypal.payment) == (acme_payment, paypal_payment)
    assert Refund.objects.count() == 3


def test_the_same_reference_again_returns_the_first_refund_unchanged(payment):
    first, _ = refund(payment, "15.00", "re_1", "duplicate", refunded_at=THEN)
    again, created = refund(payment, "20.00", "re_1", "other")
    assert created is False
    assert again.pk == first.pk
    assert (again.amount, again.reason) == (Decimal("15.00"), "duplicate")
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("15.00")


def test_refunds_without_a_reference_are_each_recorded(payment):
    # A manual refund has no processor reference: nothing to recognise it by.
    refund(payment, "5.00", "")
    refund(payment, "5.00", "")
    payment.refresh_from_db()
    assert payment.refunds.count() == 2
    assert payment.amount_refunded == Decimal("10.00")


def test_a_failed_payment_is_refused_with_its_reason(alice):
    failed = PaymentFactory(order=OrderFactory(customer=alice), status=Payment.Status.FAILED)
    with pytest.raises(ValueError, match="^a failed payment took no money to refund$"):
        refund(failed, "1.00", "re_x")
    assert not Refund.objects.exists()


def test_a_refund_past_the_paid_amount_is_refused_with_its_reason(payment):
    refund(payment, "40.00", "re_1")
    with pytest.raises(ValueError, match="^nothing left to refund on this payment$"):
        refund(payment, "1.00", "re_2")
    assert payment.refunds.count() == 1


def test_a_refund_of_a_few_cents_is_recorded(payment):
    row, created = refund(payment, "0.50", "re_1")
    assert created and row.amount == Decimal("0.50")
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("0.50"))


def test_refunding_the_rest_exactly_makes_the_payment_refunded(payment):
    refund(payment, "39.99", "re_1")
    payment.refresh_from_db()
    assert payment.status == "partially_refunded"
    assert Order.objects.get(pk=payment.order_id).status == "partially_refunded"
    refund(payment, "0.01", "re_2")
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("40.00"))
    assert Order.objects.get(pk=payment.order_id).status == "refunded"


def test_a_renewals_refund_leaves_the_subscriptions_order_alone(alice):
    subscription = SubscriptionFactory(customer=alice)
    order = OrderFactory(customer=alice, subscription=subscription, amount=Decimal("29.00"))
    renewal = PaymentFactory(order=order, subscription=subscription)
    refund(renewal, "29.00", "re_1")
    renewal.refresh_from_db()
    assert renewal.status == "refunded"
    # The order stands for the whole subscription, not for this one renewal.
    assert Order.objects.get(pk=order.pk).status == "paid"


def test_a_refund_renders_no_pdf_and_the_first_downloads_draw_both(
    payment, alice_client, django_capture_on_commit_callbacks, credit_note_renders, renders
):
    """Issue 26: PDFs are rendered when someone asks for them, not for every
    refund; the invoice's is drawn again then, showing the refund."""
    invoice = payment.invoice
    with django_capture_on_commit_callbacks(execute=True):
        row, _ = refund(payment, "15.00", "re_1")
    note = CreditNote.objects.get(refund=row)
    assert credit_note_renders == [] and renders == []
    assert note.pdf.name == "" and Invoice.objects.get(pk=invoice.pk).pdf.name == ""

    hub = "/northwind/updateinfo"
    for url in (f"{hub}/credit-notes/{note.number}/pdf", f"{hub}/invoices/{invoice.number}/pdf"):
        response = alice_client.get(url)
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert credit_note_renders == [note.pk] and renders == [invoice.pk]
    note.refresh_from_db()
    assert note.pdf.name.endswith(f"/credit-note-{note.number}.pdf")


def test_a_refund_drops_its_own_invoices_stored_pdf_and_no_other(
    payment, alice, django_capture_on_commit_callbacks
):
    from billing.documents.invoices import invoice_pdf_ensure

    other = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    kept = invoice_pdf_ensure(invoice=other).pdf.name
    invoice_pdf_ensure(invoice=payment.invoice)
    with django_capture_on_commit_callbacks(execute=False):
        refund(payment, "15.00", "re_1")
    # Until the task draws it again, the refunded invoice has no PDF: a
    # download then renders one that shows the refund.
    assert Invoice.objects.get(pk=payment.invoice.pk).pdf.name == ""
    assert Invoice.objects.get(pk=other.pk).pdf.name == kept


def test_a_refund_issues_the_invoice_when_the_payment_had_none(alice):
    payment = PaymentFactory(order=OrderFactory(customer=alice), invoice=False)
    row, _ = refund(payment, "5.00", "re_1")
    invoice = Invoice.objects.get(payment=payment)
    assert CreditNote.objects.get(refund=row).invoice == invoice


def test_issuing_a_credit_note_again_returns_it_and_takes_no_number(payment, vendor):
    row, _ = refund(payment, "15.00", "re_1")
    note = CreditNote.objects.get(refund=row)
    assert credit_note_issue(refund=row, invoice=payment.invoice) == note
    assert CreditNote.objects.count() == 1
    assert InvoiceSequence.objects.get(vendor=vendor).last_credit_note_number == 1


def test_credit_notes_count_per_vendor(payment, acme_alice, alice):
    acme_payment = PaymentFactory(order=OrderFactory(customer=acme_alice))
    refund(payment, "5.00", "re_1")
    acme_row, _ = refund(acme_payment, "5.00", "re_2")
    second, _ = refund(payment, "5.00", "re_3")
    assert CreditNote.objects.get(refund=acme_row).number == "ACME-CN-000001"
    assert CreditNote.objects.get(refund=second).number == "NORTHWIND-CN-000002"
    assert CreditNote.objects.get(refund=second).sequence == 2


def test_a_credit_note_for_an_invoice_without_lines_has_an_empty_description(payment):
    invoice = payment.invoice
    invoice.lines = []
    row = Refund.objects.create(
        vendor=payment.vendor,
        payment=payment,
        amount=Decimal("5.00"),
        currency="USD",
        refunded_at=THEN,
        processor="stripe",
    )
    note = credit_note_issue(refund=row, invoice=invoice)
    assert note.lines == [{"description": "", "amount": "5.00"}]


def test_the_credit_note_pdf_is_rendered_once_and_kept(payment, credit_note_renders):
    row, _ = refund(payment, "15.00", "re_1")
    note = CreditNote.objects.get(refund=row)
    returned = credit_note_pdf_ensure(credit_note=note)
    stored = CreditNote.objects.get(pk=note.pk).pdf
    assert returned.pdf.name == stored.name
    *_, vendor_id, folder, filename = stored.name.split("/")
    assert (vendor_id, filename) == (str(payment.vendor_id), "credit-note-NORTHWIND-CN-000001.pdf")
    assert len(folder) >= 20
    assert stored.storage.open(stored.name).read(5) == b"%PDF-"
    again = credit_note_pdf_ensure(credit_note=CreditNote.objects.get(pk=note.pk))
    assert again.pdf.name == stored.name
    assert credit_note_renders == [note.pk]


def test_a_credit_note_pdf_whose_file_went_missing_is_rendered_again(payment, credit_note_renders):
    row, _ = refund(payment, "15.00", "re_1")
    note = CreditNote.objects.get(refund=row)
    name = credit_note_pdf_ensure(credit_note=note).pdf.name
    note.pdf.storage.delete(name)
    fresh = credit_note_pdf_ensure(credit_note=CreditNote.objects.get(pk=note.pk))
    assert len(credit_note_renders) == 2
    assert fresh.pdf.name != name
    assert fresh.pdf.storage.exists(fresh.pdf.name)
    assert CreditNote.objects.get(pk=note.pk).pdf.name == fresh.pdf.name


def test_another_customers_credit_note_of_the_same_vendor_is_not_found(payment, bob):
    from django.http import Http404

    from billing.documents.credit_notes import credit_note_get

    refund(payment, "15.00", "re_1")
    with pytest.raises(Http404):
        credit_note_get(customer=bob, number="NORTHWIND-CN-000001")
    other = CustomerFactory(vendor=payment.vendor)
    with pytest.raises(Http404):
        credit_note_get(customer=other, number="NORTHWIND-CN-000001")
    assert credit_note_get(
        customer=payment.customer, number="NORTHWIND-CN-000001"
    ).total == Decimal("15.00")


def test_a_customers_credit_notes_are_found_by_their_own_numbers(payment, alice):
    from django.http import Http404

    from billing.documents.credit_notes import credit_note_get

    first, _ = refund(payment, "5.00", "re_1")
    second, _ = refund(payment, "7.00", "re_2")
    assert credit_note_get(customer=alice, number="NORTHWIND-CN-000001").refund == first
    assert credit_note_get(customer=alice, number="NORTHWIND-CN-000002").refund == second
    with pytest.raises(Http404):
        credit_note_get(customer=alice, number="NORTHWIND-CN-000003")


def test_a_stored_credit_note_pdf_is_served_without_asking_the_database(
    payment, django_assert_num_queries
):
    row, _ = refund(payment, "15.00", "re_1")
    note = CreditNote.objects.get(refund=row)
    credit_note_pdf_ensure(credit_note=note)
    stored = CreditNote.objects.get(pk=note.pk)
    with django_assert_num_queries(0):
        assert credit_note_pdf_ensure(credit_note=stored).pdf.name == note.pdf.name


def test_a_download_that_looked_before_another_stored_the_pdf_reuses_it(
    payment, credit_note_renders
):
    row, _ = refund(payment, "15.00", "re_1")
    first = CreditNote.objects.get(refund=row)
    stale = CreditNote.objects.get(refund=row)  # read before the PDF existed
    name = credit_note_pdf_ensure(credit_note=first).pdf.name
    assert credit_note_pdf_ensure(credit_note=stale).pdf.name == name
    assert credit_note_renders == [first.pk]
