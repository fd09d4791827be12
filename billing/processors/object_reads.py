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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from .adapters.base import MESSAGE_UNAVAILABLE, ProcessorError
from .rate_limits import redis_client

# How long a read's time is kept: longer than any backlog we expect to drain.
READ_LOG_SECONDS = 6 * 60 * 60
# Process-local locks when there is no Redis, striped so memory stays flat.
_LOCAL_LOCKS = [threading.Lock() for _ in range(256)]


class ObjectBusy(ProcessorError):
    """Another worker held the object's lock for longer than we wait: the
    task retries soon (nothing was read or changed)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            MESSAGE_UNAVAILABLE, retryable=True, code="busy", detail=f"object {key} busy"
        )


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

    def commit(self) -> None:
        for object_id, started in self.pending.items():
            key = self._cache_key(object_id)
            previous = cache.get(key)
            if previous is None or float(previous) < started:
                cache.set(key, started, READ_LOG_SECONDS)
        self.pending.clear()


def coalescing_wait(*, received_at: datetime) -> float:
    """Wait until the event is WEBHOOK_COALESCE_SECONDS old (a thread of the
    webhooks pool sleeps; see the module doc). Returns the seconds slept."""
    remaining = received_at.timestamp() + settings.WEBHOOK_COALESCE_SECONDS - time.time()
    if remaining <= 0:
        return 0.0
    remaining = min(remaining, settings.WEBHOOK_COALESCE_SECONDS)
    time.sleep(remaining)
    return remaining
