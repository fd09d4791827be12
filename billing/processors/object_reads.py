"""Which processor reads an event still needs, and one worker at a time per
object.

On a renewal day about five events arrive per renewal within seconds
(invoice.created, invoice.finalized, invoice.paid, charge.succeeded,
customer.subscription.updated), and reads are the scarce resource (Stripe:
100 a second per account). Two rules make one fresh read serve them all:

- **Serialised by owner.** The events of one processor customer (an invoice,
  its charge, its subscription: all name the customer) are processed one at
  a time, under a lock in Redis (`object_lock`), so no two workers read the
  same objects at once or create the same payment.
- **A newer read covers an event.** When an object's read started after an
  event about it was received (plus WEBHOOK_READ_CLOCK_SKEW: the web process
  that stored the event and the worker that reads may be two machines), the
  state recorded from that read already includes what the event reports:
  the event needs no read of its own. Each read's start time is kept per
  object (`ReadLog`) once what it read is committed, never before. The
  processor's own event time is not used: it is another machine's clock,
  and a read is only known to be newer than what we received.
- **A read never undoes the hub's change.** The hub changes a subscription
  (Cancel, Keep, a new card) by asking the processor first and writing our
  row once it answered. A read that was answered before that call, and
  recorded after our row was written, would put back the state before the
  change: a Keep shown as the vendor's cancellation (which cannot be kept),
  a Cancel undone. So the version of our row (its updated_at) is taken
  before each read (`SubscriptionVersions`), and the recording transaction
  locks the row and records the read only if it is still that version;
  otherwise the read is thrown away (it covers nothing) and made again.
- **A short window.** An event is processed no sooner than
  WEBHOOK_COALESCE_SECONDS after it was received (`coalescing_wait`), so
  the events of one renewal, which Stripe sends within a second or so, find
  each other's read; behind a backlog the events are older than that and
  nobody waits.

Without Redis (the single-process demo) the lock is a lock of the process
and the times live in the local cache.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.cache import cache

from billing.models import Subscription

from .adapters.base import MESSAGE_UNAVAILABLE, ProcessorError
from .rate_limits import redis_client

if TYPE_CHECKING:
    from .stripe_sync import Effects

# How long a read's time is kept: longer than any backlog we expect to drain.
READ_LOG_SECONDS = 6 * 60 * 60
# Process-local locks when there is no Redis, striped so memory stays flat.
_LOCAL_LOCKS = [threading.Lock() for _ in range(256)]
# Reads of one event made again when our row changed meanwhile, before the
# task is queued again. A customer clicking Cancel, Keep and new cards back
# to back for a minute (tests/integration/test_demo_minute.py) overtook all
# of three attempts for 2 of ~290 events. What a click can overtake is one
# subscription read, and the clicks end.
READ_ATTEMPTS = 5

T = TypeVar("T")


class ObjectBusy(ProcessorError):
    """Another worker held the object's lock for longer than we wait: the
    task retries soon (nothing was read or changed)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            MESSAGE_UNAVAILABLE, retryable=True, code="busy", detail=f"object {key} busy"
        )


class RowChanged(Exception):
    """Our row changed while its processor object was read: the read may be
    older than that change, and is not recorded (`SubscriptionVersions`)."""


class ReadOvertaken(ObjectBusy):
    """Our row changed under every one of READ_ATTEMPTS reads: the task
    queues the event again, as for a busy object."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.detail = f"object {key} changed during each read"


def _key(vendor_id: int, processor: str, object_id: str) -> str:
    digest = hashlib.sha256(object_id.encode()).hexdigest()[:24]
    return f"{vendor_id}:{processor}:{digest}"


@contextmanager
def object_lock(*, vendor_id: int, processor: str, object_id: str) -> Iterator[None]:
    """Hold the lock of one processor object (its owner: see the module
    doc) while its events are read and recorded. Raises ObjectBusy after
    waiting the lock's own lifetime."""
    seconds = settings.WEBHOOK_OBJECT_LOCK_SECONDS
    key = _key(vendor_id, processor, object_id)
    client = redis_client()
    if client is None:
        lock = _LOCAL_LOCKS[int(key.rsplit(":", 1)[1][:8], 16) % len(_LOCAL_LOCKS)]
        if not lock.acquire(timeout=seconds):
            raise ObjectBusy(key)
        try:
            yield
        finally:
            lock.release()
        return
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "hub"
    # The lock expires by itself (a worker killed while holding it does not
    # stop its customer's events for good); sleep=0.02: the holder's reads
    # take a few hundred milliseconds.
    lock = client.lock(
        f"{prefix}:webhook-object-lock:{key}", timeout=seconds, sleep=0.02, blocking_timeout=seconds
    )
    if not lock.acquire():
        raise ObjectBusy(key)
    try:
        yield
    finally:
        # Expired meanwhile (LockNotOwnedError): it is free already.
        with suppress(Exception):
            lock.release()


class ReadLog:
    """The start times of the latest committed reads of one vendor's
    processor objects."""

    def __init__(self, *, vendor_id: int, processor: str) -> None:
        self.vendor_id = vendor_id
        self.processor = processor
        self.pending: dict[str, float] = {}

    def _cache_key(self, object_id: str) -> str:
        return "webhook-read:" + _key(self.vendor_id, self.processor, object_id)

    def covers(self, object_id: str, *, received_at: datetime) -> bool:
        """Did a committed read of `object_id` start after this event was received?"""
        if not object_id:
            return False
        started = cache.get(self._cache_key(object_id))
        if started is None:
            return False
        return float(started) >= received_at.timestamp() + settings.WEBHOOK_READ_CLOCK_SKEW

    @staticmethod
    def now() -> float:
        """A read's start: take it before the request goes out."""
        return time.time()

    def read(self, object_id: str, started: float) -> None:
        """Note a read, kept by `commit` once its rows are committed."""
        if object_id:
            self.pending[object_id] = max(started, self.pending.get(object_id, 0.0))

    def discard(self) -> None:
        """Forget the reads of an attempt whose records were rolled back."""
        self.pending.clear()

    def commit(self) -> None:
        for object_id, started in self.pending.items():
            key = self._cache_key(object_id)
            previous = cache.get(key)
            if previous is None or float(previous) < started:
                cache.set(key, started, READ_LOG_SECONDS)
        self.pending.clear()


class SubscriptionVersions:
    """The version (updated_at) of our subscription rows each read started
    from (see the module doc).

    A version, not a time: the worker's and the web process's clocks may
    differ, and the webhook's own earlier writes (the customer's earlier
    events, finished under object_lock before this read began) are part of
    the version seen, so they never throw a read away. Every hub write to a
    subscription bumps updated_at (billing.cancellation, billing.cards)."""

    def __init__(self, *, vendor_id: int, processor: str) -> None:
        self.vendor_id = vendor_id
        self.processor = processor
        self.seen: dict[str, datetime | None] = {}

    def _rows(self, processor_id: str):
        return Subscription.objects.filter(
            vendor_id=self.vendor_id, processor=self.processor, processor_id=processor_id
        )

    def before_read(self, processor_id: str) -> bool:
        """Note the row's version; call it before the read goes out. True
        when we have the row."""
        version = self._rows(processor_id).values_list("updated_at", flat=True).first()
        self.seen[processor_id] = version
        return version is not None

    def before_record(self, processor_id: str) -> None:
        """In the recording transaction, before the read is recorded: lock
        the row until the commit (a hub write waits for it and lands after
        the record), and raise RowChanged when it is no longer the version
        the read started from."""
        if processor_id not in self.seen:
            raise RuntimeError(f"subscription {processor_id!r} recorded without a version")
        version = (
            self._rows(processor_id)
            .select_for_update()
            .values_list("updated_at", flat=True)
            .first()
        )
        if version != self.seen[processor_id]:
            raise RowChanged(processor_id)


def read_until_unchanged(
    attempt: Callable[[], T], *, log: ReadLog, effects: Effects, key: str
) -> T:
    """Run `attempt` (read, then record) until no row changed under its
    reads, at most READ_ATTEMPTS times; then raise ReadOvertaken. A thrown
    away attempt leaves nothing: its records were rolled back, its reads
    cover nothing and what it would have sent is forgotten."""
    for _ in range(READ_ATTEMPTS):
        sent = (list(effects.paid), list(effects.failed), list(effects.refunds))
        try:
            return attempt()
        except RowChanged:
            log.discard()
            effects.paid[:], effects.failed[:], effects.refunds[:] = sent
    raise ReadOvertaken(key)


def coalescing_wait(*, received_at: datetime) -> float:
    """Wait until the event is WEBHOOK_COALESCE_SECONDS old (a thread of the
    webhooks pool sleeps; see the module doc). Returns the seconds slept."""
    remaining = received_at.timestamp() + settings.WEBHOOK_COALESCE_SECONDS - time.time()
    if remaining <= 0:
        return 0.0
    remaining = min(remaining, settings.WEBHOOK_COALESCE_SECONDS)
    time.sleep(remaining)
    return remaining
