"""Issue 26: a PDF is rendered when someone needs it (the first download, or
a receipt that attaches it), never for every payment: a renewal day would
otherwise render one per renewal, for documents most customers never open."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client

from billing.documents import pdf as billing_pdf
from billing.models import Invoice, Payment
from billing.processors.adapters import stripe_adapter_for
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory
from tests.support.processor_fixtures import stripe_subscription
from tests.support.webhooks import SECRET, post_stripe, stripe_event


def test_a_paid_stripe_invoice_is_issued_and_receipted_without_a_pdf(
    client, django_capture_on_commit_callbacks, stripe_vendor, alice, renders
):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    subscription = stripe_subscription(alice)
    adapter = stripe_adapter_for(vendor=stripe_vendor)
    invoice_id = adapter.subscription_get(
        subscription_id=subscription.processor_id
    ).latest_invoice_id
    payload = stripe_event("invoice.paid", {"id": invoice_id, "object": "invoice"})

    with django_capture_on_commit_callbacks(execute=True):
        assert post_stripe(client, payload).status_code == 200

    payment = Payment.objects.get(customer=alice)
    assert payment.invoice.number and payment.receipt_sent_at is not None
    assert renders == []
    assert Invoice.objects.get(pk=payment.invoice.pk).pdf.name == ""


@pytest.fixture
def slow_renders(monkeypatch):
    """The real renderer, made to take 0.3 s longer so that two downloads
    started together surely overlap; it records each render."""
    calls: list[int] = []
    real = billing_pdf.pdf_render

    def slow(*, invoice):
        calls.append(invoice.pk)
        time.sleep(0.3)
        return real(invoice=invoice)

    monkeypatch.setattr(billing_pdf, "pdf_render", slow)
    return calls


@pytest.mark.django_db(transaction=True)
def test_two_first_downloads_at_once_render_the_pdf_once(postgres, alice, slow_renders):
    invoice = PaymentFactory(order=OrderFactory(customer=alice, amount=Decimal("19.00"))).invoice
    url = f"/northwind/updateinfo/invoices/{invoice.number}/pdf"
    clients = [Client(), Client()]
    for each in clients:
        sign_in(each, alice)
    start = threading.Barrier(len(clients))
    bodies: list[bytes] = []
    errors: list[BaseException] = []

    def download(each: Client) -> None:
        try:
            start.wait(timeout=10)
            response = each.get(url)
            assert response.status_code == 200
            bodies.append(b"".join(response.streaming_content))
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=download, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert slow_renders == [invoice.pk]
    assert len(bodies) == 2 and bodies[0] == bodies[1] and bodies[0].startswith(b"%PDF-")
