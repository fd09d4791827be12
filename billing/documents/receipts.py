"""Receipts and failed-payment notices: one email per payment, whatever
retries or redeliveries happen.

The claim (`receipt_sent_at` / `failure_notice_sent_at`) is set in the same
transaction as the send, under the payment's row lock: a send that raises
rolls the claim back so a retry sends it, and a second run finds the claim
and sends nothing. The claim commits after the mail server accepted the
message, so a process killed between the two (accepted, not yet committed)
sends that one receipt again on the next run: at least once, and at most one
duplicate per crash.

Receipts at scale (renewal day): a task per receipt, each opening its own
SMTP connection, is what falls behind when 20,000 payments arrive in minutes.
With Redis (production) a paid payment's receipt is put in a batch instead:
a sorted set scored by the time of payment. A sender task takes up to
RECEIPT_BATCH_SIZE of the oldest, sends them over one SMTP connection in that
order, and repeats until the batch is empty; several senders share the work,
each taking a different slice. A taken slice is leased (RECEIPT_CLAIM_SECONDS):
a sender that dies with one gives it back when the lease ends, and the row
lock and claim above keep a slow sender and its successor from both sending.

A receipt waits for a PDF only when the vendor attaches it
(`Vendor.receipt_attach_pdf`): its render goes to the `pdf` queue and the
receipt joins the batch once the PDF is stored. Otherwise no PDF is rendered
for a receipt at all; the customer's first download renders it.

Without Redis (the embedded demo, tasks run in-process) each receipt is sent
at once, alone, as before.
"""

from __future__ import annotations

import functools
import logging
import time
from smtplib import SMTPRecipientsRefused
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, Payment
from vendors.mail import mail_message, mail_send

from .invoices import invoice_pdf_filename, invoice_pdf_open, invoice_pdf_stored

logger = logging.getLogger(__name__)


def hub_access_url(*, vendor, email: str, next_path: str = "") -> str:
    """The vendor's hub access page with the email filled in (and where to go
    after sign-in). Built from SITE_URL; it carries no token: the customer
    still proves the address by the emailed link."""
    query = {"email": email}
    if next_path:
        query["next"] = next_path
    return f"{vendor.hub_url}?{urlencode(query)}"


def _receipt_due(payment: Payment) -> bool:
    return (
        payment.receipt_sent_at is None
        and payment.vendor.send_receipts
        and payment.status != Payment.Status.FAILED
    )


def _pdf_attachment(invoice: Invoice) -> tuple[str, bytes, str]:
    # Rendered here only if its stored file went missing since the pdf queue
    # rendered it (a refund drops it to draw it again).
    with invoice_pdf_open(invoice=invoice) as handle:
        content = handle.read()
    return (invoice_pdf_filename(invoice), content, "application/pdf")


@transaction.atomic
def payment_receipt_send(*, payment_id: int, connection=None) -> bool:
    """Send the receipt of a newly paid payment, once. Returns whether sent.

    `connection`: a mail connection the caller opened for several receipts
    (receipts_send_batch); by default the message opens its own."""
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("vendor", "customer", "order", "invoice")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None or not _receipt_due(payment):
        return False
    vendor = payment.vendor
    # The customer's vendor is the payment's (one tenant): the language
    # choice (mail_language) reads it, and loading it again cost a query.
    payment.customer.vendor = vendor
    payment.receipt_sent_at = timezone.now()
    payment.save(update_fields=["receipt_sent_at"])
    invoice = getattr(payment, "invoice", None)
    detailed = vendor.receipt_style == vendor.ReceiptStyle.DETAILED
    message = mail_message(
        vendor=vendor,
        to=payment.customer.email,
        template="receipt",
        language=payment.customer.mail_language,
        context={
            "customer": payment.customer,
            "payment": payment,
            "invoice": invoice,
            "detailed": detailed,
            "button_url": (
                hub_access_url(vendor=vendor, email=payment.customer.email)
                if detailed and vendor.email_button
                else ""
            ),
        },
        attachments=((_pdf_attachment(invoice),) if vendor.receipt_attach_pdf and invoice else ()),
    )
    message.connection = connection
    message.send()
    return True


@transaction.atomic
def payment_failed_notify(*, payment_id: int) -> bool:
    """Tell the customer a payment failed, what failed, and where to fix the
    card (through the access page). Once per payment."""
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("vendor", "customer", "order", "subscription")
        .filter(pk=payment_id, status=Payment.Status.FAILED)
        .first()
    )
    if payment is None or payment.failure_notice_sent_at is not None:
        return False
    vendor = payment.vendor
    payment.customer.vendor = vendor  # as for a receipt: no second query for it
    payment.failure_notice_sent_at = timezone.now()
    payment.save(update_fields=["failure_notice_sent_at"])
    next_path = ""
    if payment.subscription_id:
        next_path = reverse(
            "hub:card", kwargs={"account": vendor.slug, "subscription_id": payment.subscription_id}
        )
    mail_send(
        vendor=vendor,
        to=payment.customer.email,
        template="payment_failed",
        language=payment.customer.mail_language,
        context={
            "customer": payment.customer,
            "payment": payment,
            "product": payment.subscription.product_name
            if payment.subscription
            else payment.order.product_name,
            "card_url": hub_access_url(
                vendor=vendor, email=payment.customer.email, next_path=next_path
            ),
        },
    )
    return True


# --- the batch (Redis) ------------------------------------------------------------------


class _Keys:
    """The batch's Redis keys, under the cache's prefix (each test run has
    its own, as it has its own queues)."""

    def __init__(self) -> None:
        prefix = f"{settings.CACHES['default'].get('KEY_PREFIX') or 'hub'}:receipts"
        self.due = f"{prefix}:due"  # payment id -> time of payment (or of its next try)
        self.claimed = f"{prefix}:claimed"  # payment id -> end of the sender's lease
        self.paid_at = f"{prefix}:paid-at"  # payment id -> time of payment, for give-backs
        self.attempts = f"{prefix}:attempts"  # payment id -> recipient refusals so far
        self.sender = f"{prefix}:sender"  # set while a sender is queued (or backing off)
        self.failures = f"{prefix}:failures"  # the mail server's failures in a row

    def all(self) -> list[str]:
        return [self.due, self.claimed, self.paid_at, self.attempts, self.sender, self.failures]


# Take up to ARGV[2] due receipts, oldest payment first, leased for ARGV[1]
# seconds; first give back the leases that ended (their sender died), in their
# place by time of payment. One script, so two senders never take the same one.
# Redis's clock, not ours: every machine's senders agree on when a lease ends.
_CLAIM_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('ZADD', KEYS[1], redis.call('HGET', KEYS[3], id) or now, id)
  redis.call('ZREM', KEYS[2], id)
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), id)
  redis.call('ZREM', KEYS[1], id)
end
return ids
"""


@functools.cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def receipts_batched() -> bool:
    """Whether receipts go through the batch: whenever there is a Redis."""
    return bool(settings.REDIS_URL)


def receipt_enqueue(*, payment_id: int) -> bool:
    """A newly paid payment's receipt: into the batch (with Redis), after its
    PDF when the vendor attaches it; sent at once without Redis. Returns
    whether it was queued (or sent); a payment that needs no receipt is not."""
    payment = Payment.objects.select_related("vendor", "invoice").filter(pk=payment_id).first()
    if payment is None or not _receipt_due(payment):
        return False
    if not receipts_batched():
        return payment_receipt_send(payment_id=payment_id)
    invoice = getattr(payment, "invoice", None)
    if (
        payment.vendor.receipt_attach_pdf
        and invoice is not None
        and not invoice_pdf_stored(invoice)
    ):
        from billing.tasks import invoice_pdf_render_task

        # The render task puts the receipt in the batch once the PDF is stored.
        invoice_pdf_render_task.delay(invoice.pk, receipt_payment_id=payment.pk)
        return True
    receipt_batch_add(payment=payment)
    return True


def receipt_batch_add(*, payment: Payment) -> None:
    """Put the payment's receipt in the batch, in its place by time of payment,
    and make sure a sender comes."""
    keys = _Keys()
    paid_at = (payment.paid_at or payment.created_at or timezone.now()).timestamp()
    with _redis(settings.REDIS_URL).pipeline() as pipe:
        pipe.hset(keys.paid_at, str(payment.pk), paid_at)
        # nx: a task run twice does not move a receipt from its place.
        pipe.zadd(keys.due, {str(payment.pk): paid_at}, nx=True)
        pipe.execute()
    receipts_sender_start()


def receipts_sender_start() -> bool:
    """Queue a sender unless one is already queued (and has not started) or
    the mail server is being given time (receipts_send_failed). The sender
    starts RECEIPT_BATCH_WAIT_SECONDS later, so that the receipts of a burst
    share its connections."""
    keys = _Keys()
    client = _redis(settings.REDIS_URL)
    # The key outlives a lost sender task by at most a minute; the sweep
    # (receipts_sweep) then starts another.
    if not client.set(keys.sender, "queued", nx=True, ex=60):
        return False
    from billing.tasks import receipts_send_task

    receipts_send_task.apply_async(countdown=settings.RECEIPT_BATCH_WAIT_SECONDS)
    return True


def receipts_sweep() -> bool:
    """Periodic: start a sender when receipts wait (left by a sender that
    died, a lease that ended, a refused recipient's next try, or a mail
    server that was down)."""
    if not receipts_batched():
        return False
    keys = _Keys()
    client = _redis(settings.REDIS_URL)
    now = time.time()
    # Due now, or leased by a sender whose lease ended (a refused recipient's
    # later try waits for its time).
    if not (client.zcount(keys.due, "-inf", now) or client.zcount(keys.claimed, "-inf", now)):
        return False
    return receipts_sender_start()


def _give_back(payment_ids: list[int]) -> None:
    """Receipts taken but not sent: due again, in their place."""
    if not payment_ids:
        return
    keys = _Keys()
    client = _redis(settings.REDIS_URL)
    members = [str(pk) for pk in payment_ids]
    scores = client.hmget(keys.paid_at, members)
    with client.pipeline() as pipe:
        pipe.zadd(
            keys.due,
            {
                m: float(s) if s is not None else time.time()
                for m, s in zip(members, scores, strict=True)
            },
        )
        pipe.zrem(keys.claimed, *members)
        pipe.execute()


def _done(payment_id: int) -> None:
    keys = _Keys()
    member = str(payment_id)
    with _redis(settings.REDIS_URL).pipeline() as pipe:
        pipe.zrem(keys.claimed, member)
        pipe.zrem(keys.due, member)  # queued again by a rerun task meanwhile
        pipe.hdel(keys.paid_at, member)
        pipe.hdel(keys.attempts, member)
        pipe.execute()


def _refused(payment_id: int, error: SMTPRecipientsRefused) -> None:
    """The mail server refused this one recipient (the server itself is
    fine): the others go on, this one is tried again later, with backoff,
    and given up after RECEIPT_MAX_ATTEMPTS (as a task's retries were)."""
    keys = _Keys()
    client = _redis(settings.REDIS_URL)
    member = str(payment_id)
    attempts = client.hincrby(keys.attempts, member, 1)
    if attempts >= settings.RECEIPT_MAX_ATTEMPTS:
        logger.warning("receipt of payment %s: recipient refused, given up", payment_id)
        _done(payment_id)
        return
    logger.warning("receipt of payment %s: recipient refused (%s), later", payment_id, attempts)
    with client.pipeline() as pipe:
        pipe.zadd(keys.due, {member: time.time() + min(3600, 60 * 2 ** (attempts - 1))})
        pipe.zrem(keys.claimed, member)
        pipe.execute()


def receipts_claim(*, limit: int) -> list[int]:
    """Lease up to `limit` due receipts, oldest payment first (see
    _CLAIM_SCRIPT); their payment ids, in that order."""
    keys = _Keys()
    claim = _redis(settings.REDIS_URL).register_script(_CLAIM_SCRIPT)
    ids = claim(
        keys=[keys.due, keys.claimed, keys.paid_at], args=[settings.RECEIPT_CLAIM_SECONDS, limit]
    )
    return [int(pk) for pk in ids]


def receipts_send_batch(*, limit: int | None = None) -> tuple[int, int]:
    """Take up to `limit` (RECEIPT_BATCH_SIZE) due receipts, oldest payment
    first, and send them over one mail connection in that order. Returns
    (taken, sent): a taken receipt is not sent when it needs none any more
    (sent already, by a rerun or another sender).

    A mail server that fails gives back this receipt and the rest and raises;
    one that refuses one recipient puts that receipt back for later and goes
    on with the others.
    """
    taken = receipts_claim(limit=limit or settings.RECEIPT_BATCH_SIZE)
    if not taken:
        return 0, 0
    remaining = list(taken)
    sent = 0
    try:
        # One connection for the batch: the backend opens it here (SMTP:
        # connect, EHLO, STARTTLS, AUTH once) and each send reuses it.
        with get_connection() as connection:
            while remaining:
                payment_id = remaining[0]
                try:
                    sent += payment_receipt_send(payment_id=payment_id, connection=connection)
                except SMTPRecipientsRefused as error:
                    _refused(payment_id, error)
                else:
                    _done(payment_id)
                remaining.pop(0)
    except BaseException:
        _give_back(remaining)
        raise
    return len(taken), sent


def receipts_send(*, budget_seconds: float | None = None) -> int:
    """A sender: batches until none is due, or until its time is up (then it
    queues its successor, so that one task never holds a worker for long).
    Returns how many receipts it sent."""
    keys = _Keys()
    client = _redis(settings.REDIS_URL)
    # Started: from now on a new receipt queues another sender, which shares
    # the work with this one; and a receipt added after this sender's last
    # look is never left without one.
    client.delete(keys.sender)
    budget = settings.RECEIPT_SENDER_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    total = 0
    while True:
        taken, sent = receipts_send_batch()
        total += sent
        if not taken:
            client.delete(keys.failures)
            return total
        if time.monotonic() >= deadline:
            receipts_sender_start()
            return total


def receipts_send_failed(error: Exception) -> int:
    """The mail server failed a sender: no new sender for a while (1 s
    doubling to an hour, like every mail task's retries), then the sweep
    starts one. Returns the wait in seconds."""
    keys = _Keys()
    client = _redis(settings.REDIS_URL)
    failures = client.incr(keys.failures)
    client.expire(keys.failures, 24 * 60 * 60)
    wait = min(3600, 2 ** min(failures - 1, 12))
    client.set(keys.sender, "backing-off", ex=wait)
    logger.warning(
        "receipts: mail server failed (%s), next try in %s s", type(error).__name__, wait
    )
    return wait
