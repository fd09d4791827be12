"""The demo's story end to end, with nothing played by us: localstripe
delivers its own signed webhooks (registered through its webhook API) to
our endpoint on a live server, a real Celery worker processes them from the
`webhooks` queue and sends mail from the default one.

A payment for alex appears in his history with an invoice and exactly one
receipt within seconds; refunding it at Stripe shows the refund and a
credit note.
"""

import time
import uuid
from decimal import Decimal

import pytest
import requests

from billing.models import CreditNote, Customer, Payment, Refund, WebhookEvent
from tests.conftest import sign_in
from tests.support.processor_fixtures import stripe_subscription
from tests.support.webhooks import SECRET

pytestmark = pytest.mark.services


@pytest.fixture
def localstripe(private_localstripe):
    """A localstripe of this test's own: the run's shared one delivers every
    event to every endpoint any earlier test registered, one after another,
    and in CI's order this test's payment never arrived within a minute."""
    return private_localstripe


@pytest.fixture
def worker_env(monkeypatch, localstripe):
    """The worker subprocess talks to this run's localstripe too."""
    monkeypatch.setenv("STRIPE_API_BASE", localstripe)


@pytest.fixture
def registered(live_server, localstripe, stripe_vendor):
    """localstripe's webhook registration pointing at our endpoint. Its
    registrations outlive DELETE /_config/data, so the test unregisters (by
    narrowing it to an event type that never happens) when it ends."""
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    hook_id = f"hub-test-{uuid.uuid4().hex[:8]}"
    url = f"{live_server.url}/webhooks/stripe/{stripe_vendor.slug}/"
    requests.post(
        f"{localstripe}/_config/webhooks/{hook_id}",
        data={"url": url, "secret": SECRET},
        timeout=5,
    ).raise_for_status()
    yield stripe_vendor
    requests.post(
        f"{localstripe}/_config/webhooks/{hook_id}",
        data={"url": url, "secret": SECRET, "events[]": ["hub.test.never"]},
        timeout=5,
    ).raise_for_status()


def wait_for(check, timeout=60.0):
    """Poll `check` until it answers. localstripe delivers each event to every
    endpoint registered in this run, one after the other, so a busy CI
    machine can take tens of seconds; on a timeout, say how far it got."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    events = list(WebhookEvent.objects.values_list("event_type", "outcome", "attempts"))
    raise AssertionError(f"timed out waiting; webhook events stored: {events}")


def receipts(mail_dir) -> int:
    return sum(
        path.read_text(errors="replace").count("Subject: Your receipt from")
        for path in mail_dir.iterdir()
    )


def test_a_payment_at_stripe_reaches_the_history_with_one_receipt_and_its_refund(
    worker_env, celery_worker, registered, localstripe, client
):
    alex = Customer.objects.create(vendor=registered, email="alex@example.com", name="Alex")

    subscription = stripe_subscription(alex, product="Pro Membership", amount=Decimal("29.00"))

    payment = wait_for(lambda: Payment.objects.filter(customer=alex, status="paid").first())
    wait_for(lambda: receipts(celery_worker.mail_dir) >= 1)
    assert payment.subscription == subscription
    assert payment.invoice.number == "NORTHWIND-000001"
    # Both invoice.payment_succeeded and invoice.paid arrived; one payment.
    wait_for(lambda: WebhookEvent.objects.filter(event_type="invoice.paid").exists())
    wait_for(lambda: not WebhookEvent.objects.filter(outcome__in=["", "retrying"]).exists(), 15)
    paid_events = ["invoice.paid", "invoice.payment_succeeded"]
    assert WebhookEvent.objects.filter(event_type__in=paid_events).count() == 2
    assert Payment.objects.filter(customer=alex).count() == 1
    sign_in(client, alex)
    history = client.get("/northwind/updateinfo/purchases/").content.decode()
    assert "NORTHWIND-000001" in history and "Pro Membership" in history

    requests.post(
        f"{localstripe}/v1/refunds",
        data={"charge": payment.processor_ref},
        auth=("sk_test_northwind", ""),
        timeout=5,
    ).raise_for_status()

    refund = wait_for(lambda: Refund.objects.filter(payment=payment).first())
    assert refund.amount == Decimal("29.00")
    wait_for(lambda: CreditNote.objects.filter(refund=refund).exists())
    history = client.get("/northwind/updateinfo/purchases/").content.decode()
    assert "Refunded" in history
    invoice_page = client.get("/northwind/updateinfo/invoices/NORTHWIND-000001/").content.decode()
    assert "NORTHWIND-CN-000001" in invoice_page
    time.sleep(1.5)  # anything still in flight would have arrived by now
    assert receipts(celery_worker.mail_dir) == 1
    assert not WebhookEvent.objects.filter(outcome="failed").exists()
