"""Webhooks: store the verified event first, then process it from the stored
row in a task, re-fetching the object from the processor.

Receiving (the view's one service call) verifies the signature over the raw
body, stores the event once per (vendor, processor, event id) and queues its
processing on the `webhooks` queue after commit: the endpoint answers in
milliseconds, and a redelivered or concurrent duplicate finds the row and
has no second effect. A Stripe event of a type processing ignores anyway is
stored as ignored there and then, without a task (`webhook_event_store`).
Processing never trusts the event body or the order of arrival: it reads
the object from the processor now and brings our rows to that state
(billing.processors.stripe_sync), which is idempotent.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing.models import Processor, WebhookEvent
from vendors.fields import SecretUnavailable
from vendors.models import Vendor

from .adapters import adapter_for
from .adapters.base import ProcessorError, ProcessorEvent, WebhookSignatureError
from .stripe_sync import Effects
from .webhook_shapes import (
    EventShapeError,
    header_values_check,
    paypal_event_check,
    refuse_constant,
    stripe_event_check,
)

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
STRIPE_TOLERANCE_SECONDS = 300
# Why an event is kept as ignored (the admin shows it).
NOT_HANDLED = "event type not handled"
OTHER_MODE = "livemode does not match the vendor"

# The headers worth keeping with an event (for support); never auth headers.
KEPT_HEADERS = ("Stripe-Signature", "Paypal-Transmission-Id", "Paypal-Transmission-Time")


class WebhookRejected(Exception):
    """The delivery is refused (400): `reason` is short and safe to return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parse_json(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: a signed body of deeply nested arrays.
        raise WebhookRejected("invalid JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected("invalid JSON")
    try:
        # A lone surrogate (an escape like \ud800) is valid JSON text but
        # not Unicode: it could be neither stored nor passed to PayPal's
        # verification, and no processor sends one.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise WebhookRejected("invalid JSON") from None
    return data


def stripe_webhook_receive(
    *, vendor: Vendor, payload: bytes, signature_header: str
) -> tuple[WebhookEvent, bool]:
    """Verify and store a Stripe delivery; (event, created). Raises WebhookRejected.

    Both the vendor's current secret and, while they roll it, the previous
    one are accepted; anything older than the tolerance is refused, so a
    captured delivery cannot be replayed later.
    """
    from .adapters.stripe import StripeAdapter

    if len(payload) > MAX_BODY_BYTES:
        raise WebhookRejected("body too large")
    _shape_check(stripe_event_check, _parse_json(payload), {"Stripe-Signature": signature_header})
    secrets = [vendor.stripe_webhook_secret, vendor.stripe_webhook_secret_previous]
    if not any(secrets):
        raise WebhookRejected("webhooks not configured")
    try:
        event = StripeAdapter.webhook_event_construct(
            payload=payload,
            signature_header=signature_header,
            secrets=[s for s in secrets if s],
            tolerance=STRIPE_TOLERANCE_SECONDS,
        )
    except WebhookSignatureError as error:
        raise WebhookRejected(str(error)) from None
    if not event.id:
        raise WebhookRejected("invalid event")
    return webhook_event_store(
        vendor=vendor,
        processor=Processor.STRIPE,
        event=event,
        body=payload.decode("utf-8"),
        headers={"Stripe-Signature": signature_header[:500]},
        ignored=_stripe_ignored(vendor=vendor, event=event),
    )


def _stripe_ignored(*, vendor: Vendor, event: ProcessorEvent) -> str:
    """Why processing would ignore this event, when its type alone says so
    (webhook_event_process decides the same, in the same order); "" when
    only processing can tell."""
    from .stripe_events import HANDLED

    if event.type in HANDLED:
        return ""
    try:
        live = vendor_livemode(vendor, Processor.STRIPE)
    except SecretUnavailable:
        # A secret key no configured key opens: the endpoint must not 500
        # on it; the task meets it, and fails where staff see it.
        return ""
    return OTHER_MODE if event.livemode != live else NOT_HANDLED


def paypal_webhook_receive(
    *, vendor: Vendor, payload: bytes, headers: dict[str, str]
) -> tuple[WebhookEvent, bool]:
    """Verify a PayPal delivery through PayPal's verify-webhook-signature API
    (with the vendor's webhook id) and store it. Raises WebhookRejected."""
    if len(payload) > MAX_BODY_BYTES:
        raise WebhookRejected("body too large")
    data = _parse_json(payload)
    kept = {k: v[:500] for k, v in headers.items() if k.title() in KEPT_HEADERS}
    _shape_check(paypal_event_check, data, kept)
    if not vendor.paypal_webhook_id or not vendor.paypal_client_id:
        raise WebhookRejected("webhooks not configured")
    adapter = adapter_for(vendor=vendor, processor=Processor.PAYPAL)
    try:
        verified = adapter.webhook_verify(  # type: ignore[attr-defined]
            webhook_id=vendor.paypal_webhook_id, headers=headers, body=payload
        )
    except ProcessorError as error:
        if error.code != "misconfigured":
            raise  # PayPal could not be asked: the view answers 503
        # PayPal refused to check the signature because of the saved webhook
        # id: a configuration error, not an outage (a 503 would read as one).
        # Test connection names it; PayPal redelivers any non-2xx answer for
        # three days, so the events arrive once the vendor fixes the id.
        logger.error(
            "webhook paypal %s: PayPal refused the saved webhook id (%s)", vendor.slug, error.detail
        )
        raise WebhookRejected("webhook id refused by PayPal; see Test connection") from None
    if not verified:
        raise WebhookRejected("bad signature")
    resource = data.get("resource") if isinstance(data.get("resource"), dict) else {}
    created = _parse_time(str(data.get("create_time") or ""))
    event = ProcessorEvent(
        id=str(data.get("id") or ""),
        type=str(data.get("event_type") or ""),
        created=created,
        livemode=vendor.paypal_environment == "live",
        object_id=str((resource or {}).get("id") or ""),
        object_type=str(data.get("resource_type") or ""),
        data=resource or {},
    )
    if not event.id:
        raise WebhookRejected("invalid event")
    return webhook_event_store(
        vendor=vendor,
        processor=Processor.PAYPAL,
        event=event,
        body=payload.decode("utf-8"),
        headers=kept,
    )


def _shape_check(check, data: dict[str, Any], headers: dict[str, str]) -> None:
    """Every field we read or store has the documented shape, or the
    delivery is a 400, signed or not (billing.processors.webhook_shapes)."""
    try:
        check(data)
        header_values_check(headers)
    except EventShapeError:
        raise WebhookRejected("invalid event") from None


def _parse_time(value: str):
    from django.utils.dateparse import parse_datetime

    try:
        return parse_datetime(value) if value else None
    except ValueError:
        return None


def webhook_event_store(
    *,
    vendor: Vendor,
    processor: str,
    event: ProcessorEvent,
    body: str,
    headers: dict,
    ignored: str = "",
) -> tuple[WebhookEvent, bool]:
    """Store the event once; queue its processing when it is new.

    `ignored` (the reason) stores a new event as already processed and
    queues nothing: the row is the one its task would have left (outcome
    ignored, that reason, one attempt, the time). On a renewal day three of
    a renewal's five Stripe events are types we do not handle; deciding
    that here spares each a task, a broker round trip and a worker's claim.
    """
    values: dict[str, Any] = {
        "event_type": event.type[:100],
        "body": body,
        "headers": headers,
        "occurred_at": event.created,
        "livemode": event.livemode,
    }
    if ignored:
        values |= {
            "outcome": WebhookEvent.Outcome.IGNORED,
            "error": ignored,
            "attempts": 1,
            "processed_at": timezone.now(),
        }
    try:
        # Insert first, look up only on a conflict: all but a redelivery
        # are new, and get_or_create would ask the database twice for each.
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                vendor=vendor, processor=processor, event_id=event.id[:255], **values
            )
    except IntegrityError:
        existing = WebhookEvent.objects.filter(
            vendor=vendor, processor=processor, event_id=event.id[:255]
        ).first()
        if existing is None:  # not the duplicate it seemed: a real error
            raise
        return existing, False
    if not ignored:
        transaction.on_commit(partial(_process_later, row.pk))
    return row, True


class WebhookQueueUnavailable(Exception):
    """The event is stored but its processing could not be queued (the
    broker is down): the endpoint answers 503 so the processor delivers it
    again, and webhook_events_sweep queues the stored row meanwhile."""


def _process_later(event_id: int) -> None:
    """Queue the processing. With eager tasks (the demo) a processing error
    must not turn the processor's delivery into a 500: the row stays for
    staff to process again. A broker that cannot take the task is
    WebhookQueueUnavailable (a 503), never a 200 for an event nobody queued."""
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from billing.tasks import webhook_event_process_task

    try:
        webhook_event_process_task.delay(event_id)
    except (BrokerError, RedisConnectionError, RedisTimeoutError) as error:
        logger.warning("webhook event %s: could not queue its processing", event_id)
        raise WebhookQueueUnavailable(str(event_id)) from error
    except Exception:  # noqa: BLE001
        logger.exception("webhook event %s: could not queue its processing", event_id)


def webhook_events_sweep(*, now=None, limit: int = 500) -> int:
    """Queue again the events left pending or retrying for WEBHOOK_SWEEP_AFTER
    with no retry waiting for them in the database: their queueing failed,
    or their task died (a worker lost with the message, a database error
    that could not even record the failure). Each event is queued at most
    once per WEBHOOK_SWEEP_AFTER (a cache mark), so a worker that is down
    for an hour does not find sixty copies. Returns how many were queued."""
    from django.core.cache import cache

    from billing.tasks import webhook_event_process_task
    from vendors.models import ScheduledRetry

    now = now or timezone.now()
    after = settings.WEBHOOK_SWEEP_AFTER
    waiting = {
        args[0]
        for args in ScheduledRetry.objects.filter(task=webhook_event_process_task.name)
        .values_list("args", flat=True)
        .iterator()
        if args
    }
    stale = (
        WebhookEvent.objects.filter(
            outcome__in=[WebhookEvent.Outcome.PENDING, WebhookEvent.Outcome.RETRYING],
            received_at__lt=now - timedelta(seconds=after),
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    queued = 0
    for event_id in stale:
        if event_id in waiting or not cache.add(f"webhook-swept:{event_id}", 1, after):
            continue
        webhook_event_process_task.delay(event_id)
        queued += 1
    if queued:
        logger.warning("webhook sweep: %s stale event(s) queued again", queued)
    return queued


# --- processing ---------------------------------------------------------------------

NOT_THIS_ACCOUNT = "the object is not in this vendor's processor account"


def vendor_livemode(vendor: Vendor, processor: str) -> bool:
    if processor == Processor.PAYPAL:
        return vendor.paypal_environment == "live"
    return vendor.stripe_secret_key.startswith(("sk_live_", "rk_live_"))


DONE = (WebhookEvent.Outcome.PROCESSED, WebhookEvent.Outcome.IGNORED)


def webhook_event_claim(*, event_id: int) -> WebhookEvent | None:
    """Count an attempt at an event not yet done; None when there is nothing
    to do (processed or ignored before, or gone)."""
    # One conditional UPDATE counts the attempt atomically (two workers
    # given the same event both count theirs, as with a row lock), and
    # needs no transaction around it; the row is read afterwards.
    counted = (
        WebhookEvent.objects.filter(pk=event_id)
        .exclude(outcome__in=DONE)
        .update(attempts=F("attempts") + 1)
    )
    if not counted:
        return None
    event = WebhookEvent.objects.select_related("vendor").filter(pk=event_id).first()
    if event is None or event.outcome in DONE:
        return None  # gone, or done by another worker in between
    return event


def webhook_event_process(*, event: WebhookEvent) -> Effects:
    """Bring our rows to the processor's current state for this event.

    Raises on failure (the task retries); the outcome and error are stored.
    A test-mode event at a live vendor (or the reverse) is kept and ignored.
    """
    effects = Effects()
    if event.livemode != vendor_livemode(event.vendor, event.processor):
        _finish(event, WebhookEvent.Outcome.IGNORED, OTHER_MODE)
        return effects
    data = json.loads(event.body) if event.body else {}
    try:
        if event.processor == Processor.STRIPE:
            handled = _stripe_process(event=event, data=data, effects=effects)
        else:
            from .paypal_sync import paypal_event_process

            handled = paypal_event_process(event=event, data=data, effects=effects)
    except ProcessorError as error:
        if error.code != "not_found":
            raise
        # The vendor's own credentials cannot read the object the event
        # names: it belongs to another account (a signed event meant for
        # someone else, or a fake that sends every account's events to every
        # endpoint). It creates nothing here (the transaction rolled back
        # whatever it began), and asking again will not change the answer.
        logger.warning("webhook event %s names an object its vendor cannot read", event.pk)
        effects = Effects()
        _finish(event, WebhookEvent.Outcome.IGNORED, NOT_THIS_ACCOUNT)
        return effects
    _finish(
        event,
        WebhookEvent.Outcome.PROCESSED if handled else WebhookEvent.Outcome.IGNORED,
        "" if handled else NOT_HANDLED,
    )
    _effects_enqueue(effects)
    return effects


def webhook_event_failed(*, event: WebhookEvent, error: str, final: bool) -> None:
    """Keep the error where staff see it (the admin), retried or given up."""
    WebhookEvent.objects.filter(pk=event.pk).update(
        outcome=WebhookEvent.Outcome.FAILED if final else WebhookEvent.Outcome.RETRYING,
        error=error[:2000],
    )


def _finish(event: WebhookEvent, outcome: str, error: str) -> None:
    event.outcome = outcome
    event.error = error
    event.processed_at = timezone.now()
    WebhookEvent.objects.filter(pk=event.pk).update(
        outcome=outcome, error=error, processed_at=event.processed_at
    )


def _effects_enqueue(effects: Effects) -> None:
    """Receipts and notices go to the default queue (mail), after commit."""
    from billing.tasks import payment_failed_notify_task, payment_receipt_task

    for payment_id in effects.paid:
        transaction.on_commit(partial(payment_receipt_task.delay, payment_id))
    for payment_id in effects.failed:
        transaction.on_commit(partial(payment_failed_notify_task.delay, payment_id))


def _stripe_process(*, event: WebhookEvent, data: dict[str, Any], effects: Effects) -> bool:
    """Read, then record (billing.processors.stripe_events), with every
    call taking a token from the account's shared rate limiter."""
    from .stripe_events import HANDLED, stripe_event_process

    obj = (data.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict) or not obj.get("id") or event.event_type not in HANDLED:
        return False
    adapter = adapter_for(vendor=event.vendor, processor=Processor.STRIPE, limited=True)
    return stripe_event_process(event=event, data=data, effects=effects, adapter=adapter)


# --- retention ----------------------------------------------------------------------


def webhook_bodies_purge(*, now=None) -> int:
    """Empty the raw bodies (and headers) of events older than the retention
    period; the rows stay as the record of what arrived. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_BODY_RETENTION_DAYS)
    return (
        WebhookEvent.objects.filter(received_at__lt=cutoff, body_purged_at__isnull=True)
        .exclude(outcome__in=[WebhookEvent.Outcome.PENDING, WebhookEvent.Outcome.RETRYING])
        .update(body="", headers={}, body_purged_at=now)
    )
