"""Issue 26: receipts on a renewal day go out in order of payment, several
per SMTP connection, once each, through the batch in Redis
(billing.documents.receipts). Sent to a real SMTP server on loopback, which
tells which connection carried each message."""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from billing.documents.receipts import _Keys, _redis, receipts_claim
from billing.models import Payment
from billing.tasks import (
    invoice_pdf_render_task,
    payment_receipt_task,
    receipts_send_task,
    receipts_sweep_task,
)
from hub.celery import app
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory
from tests.support.smtp_sink import SmtpSink

BASE = timezone.now().replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def batch(redis_url):
    """The batch's keys, empty before and after the test."""
    keys = _Keys()
    client = _redis(redis_url)
    client.delete(*keys.all())
    yield keys
    client.delete(*keys.all())


@pytest.fixture
def smtp(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


def hold_the_sender(keys) -> None:
    """As when a sender is queued and not started yet: receipts that arrive
    meanwhile wait in the batch for it instead of queueing another."""
    _redis(settings.REDIS_URL).set(keys.sender, "queued")


def paid(vendor, n: int, minutes: int) -> Payment:
    """A payment `minutes` after BASE, from customer n (their own address)."""
    customer = CustomerFactory(vendor=vendor, email=f"renewal{n}@example.com")
    order = OrderFactory(customer=customer, product="Pro Membership", amount=Decimal("9.00"))
    moment = BASE + timedelta(minutes=minutes)
    return PaymentFactory(order=order, created_at=moment, paid_at=moment)


def in_order(payments) -> list[str]:
    return [p.customer.email for p in sorted(payments, key=lambda p: p.paid_at)]


def test_receipts_go_out_in_order_of_payment_several_per_connection(batch, smtp, vendor, settings):
    settings.RECEIPT_BATCH_SIZE = 4
    hold_the_sender(batch)
    # Their tasks ran in another order than the payments were made.
    payments = [paid(vendor, n, minutes) for n, minutes in enumerate([3, 0, 5, 1, 4, 2])]
    for payment in payments:
        payment_receipt_task.delay(payment.pk)
    assert smtp.recipients() == []  # waiting for the sender, in the batch

    receipts_send_task.delay()

    assert smtp.recipients() == in_order(payments)
    assert smtp.connections() == 2  # 6 receipts, 4 per connection
    assert Payment.objects.filter(receipt_sent_at=None).count() == 0
    assert _redis(settings.REDIS_URL).zcard(batch.due) == 0


def test_a_receipt_starts_its_own_sender_when_none_is_queued(batch, smtp, alice):
    payment = PaymentFactory(order=OrderFactory(customer=alice))
    payment_receipt_task.delay(payment.pk)  # tasks run eagerly: the sender too
    assert smtp.recipients() == ["alice@example.com"]
    message = smtp.received[0].message
    assert message["Subject"] == "Your receipt from Northwind Courses"
    assert [part.get_content_type() for part in message.iter_attachments()] == []


@pytest.mark.django_db(transaction=True)
def test_tasks_run_twice_and_senders_racing_send_each_receipt_once(
    postgres, batch, smtp, vendor, settings
):
    # Every lease ends at once: the second sender takes again what the first
    # has taken, the worst a sender that outlived its lease can do.
    settings.RECEIPT_CLAIM_SECONDS = 0
    settings.RECEIPT_BATCH_SIZE = 3
    hold_the_sender(batch)
    payments = [paid(vendor, n, n) for n in range(12)]
    for payment in payments:
        payment_receipt_task.delay(payment.pk)
        payment_receipt_task.delay(payment.pk)  # acks_late: redelivered
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            start.wait(timeout=10)
            receipts_send_task.apply()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    receipts_send_task.delay()  # and once more, after both

    assert errors == []
    assert Counter(smtp.recipients()) == Counter({p.customer.email: 1 for p in payments})
    assert Payment.objects.filter(receipt_sent_at=None).count() == 0


def test_a_mail_server_that_is_down_keeps_the_receipts_for_later_in_order(
    batch, smtp, vendor, settings
):
    hold_the_sender(batch)
    payments = [paid(vendor, n, minutes) for n, minutes in enumerate([2, 0, 1])]
    for payment in payments:
        payment_receipt_task.delay(payment.pk)
    smtp.stop()

    receipts_send_task.delay()  # fails, without an exception out of the task

    client = _redis(settings.REDIS_URL)
    assert client.zcard(batch.due) == 3 and client.zcard(batch.claimed) == 0
    assert client.get(batch.sender) == b"backing-off" and client.ttl(batch.sender) >= 0
    assert Payment.objects.filter(receipt_sent_at=None).count() == 3
    receipts_sweep_task.delay()  # the wait is not over: no sender yet
    assert client.zcard(batch.due) == 3

    smtp.start()
    client.delete(batch.sender)  # the wait is over
    receipts_sweep_task.delay()

    assert smtp.recipients() == in_order(payments)
    assert smtp.connections() == 1


def test_a_refused_recipient_does_not_hold_up_the_others(batch, smtp, vendor, settings):
    hold_the_sender(batch)
    payments = [paid(vendor, n, n) for n in range(3)]
    smtp.refuse = {payments[1].customer.email}
    for payment in payments:
        payment_receipt_task.delay(payment.pk)

    receipts_send_task.delay()

    assert smtp.recipients() == [payments[0].customer.email, payments[2].customer.email]
    assert smtp.connections() == 1
    client = _redis(settings.REDIS_URL)
    refused = str(payments[1].pk).encode()
    assert client.zrange(batch.due, 0, -1) == [refused]
    assert client.zscore(batch.due, refused) > timezone.now().timestamp()  # later
    assert client.hget(batch.attempts, refused) == b"1"
    payments[1].refresh_from_db()
    assert payments[1].receipt_sent_at is None


def test_a_dead_senders_receipts_are_sent_when_its_lease_ends(batch, smtp, vendor, settings):
    hold_the_sender(batch)
    payments = [paid(vendor, n, n) for n in range(2)]
    for payment in payments:
        payment_receipt_task.delay(payment.pk)
    assert receipts_claim(limit=10) == [p.pk for p in payments]  # then it died
    client = _redis(settings.REDIS_URL)
    client.delete(batch.sender)

    receipts_sweep_task.delay()  # leased, not ended: nothing to do
    assert smtp.recipients() == []

    client.zadd(batch.claimed, {str(p.pk): 0 for p in payments})  # the lease ended
    receipts_sweep_task.delay()
    assert smtp.recipients() == in_order(payments)


def test_an_attached_pdf_is_rendered_on_the_pdf_queue_before_the_receipt(
    batch, smtp, alice, vendor, settings, renders
):
    vendor.receipt_attach_pdf = True
    vendor.save()
    payment = PaymentFactory(order=OrderFactory(customer=alice))

    payment_receipt_task.delay(payment.pk)

    assert renders == [payment.invoice.pk]
    [received] = smtp.received
    [attachment] = received.message.iter_attachments()
    assert attachment.get_filename() == f"invoice-{payment.invoice.number}.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    route = app.amqp.router.route({}, invoice_pdf_render_task.name)
    assert route["queue"].name == settings.CELERY_PDF_QUEUE


def test_no_pdf_is_rendered_for_a_receipt_without_one(batch, smtp, alice, renders):
    payment_receipt_task.delay(PaymentFactory(order=OrderFactory(customer=alice)).pk)
    assert len(smtp.received) == 1
    assert renders == []
