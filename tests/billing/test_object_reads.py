"""billing.processors.object_reads on its own: the coalescing window, on
the real clock (an event is processed no sooner than WEBHOOK_COALESCE_SECONDS
after it was received, and never waits longer than that window), and which
committed reads cover an event (ReadLog, in the real cache)."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from billing.processors.object_reads import ReadLog, coalescing_wait

WINDOW = 1.0


def test_a_fresh_event_waits_until_it_is_the_window_old(settings):
    settings.WEBHOOK_COALESCE_SECONDS = WINDOW
    received_at = timezone.now() - timedelta(seconds=0.2)
    started = time.monotonic()
    slept = coalescing_wait(received_at=received_at)
    elapsed = time.monotonic() - started
    # What is left of the window (about 0.8 s; less on a loaded machine),
    # slept for real.
    assert 0.3 < slept <= WINDOW - 0.2
    assert elapsed >= slept


def test_an_event_older_than_the_window_does_not_wait(settings):
    settings.WEBHOOK_COALESCE_SECONDS = WINDOW
    assert coalescing_wait(received_at=timezone.now() - timedelta(seconds=5)) == 0.0


def test_an_event_stamped_by_a_clock_ahead_waits_the_window_at_most(settings):
    # The web process that stored the event runs ahead of the worker's clock.
    settings.WEBHOOK_COALESCE_SECONDS = WINDOW
    slept = coalescing_wait(received_at=timezone.now() + timedelta(seconds=60))
    assert slept == WINDOW


# --- which reads cover an event ----------------------------------------------------------


VENDOR_IDS = (1, 2)
OBJECT_IDS = ("sub_skew", "sub_close", "sub_shared", "sub_order", "sub_pending")


@pytest.fixture
def received_at(settings):
    settings.WEBHOOK_READ_CLOCK_SKEW = 0.5
    yield timezone.now() - timedelta(seconds=60)
    cache.delete_many(
        [
            ReadLog(vendor_id=vendor_id, processor=processor)._cache_key(object_id)
            for vendor_id in VENDOR_IDS
            for processor in ("stripe", "paypal")
            for object_id in OBJECT_IDS
        ]
    )


def committed(*, vendor_id=1, processor="stripe", object_id: str, started: float) -> ReadLog:
    log = ReadLog(vendor_id=vendor_id, processor=processor)
    log.read(object_id, started)
    log.commit()
    return log


def test_a_read_covers_the_events_received_a_clock_skew_before_it(received_at):
    received = received_at.timestamp()
    log = committed(object_id="sub_skew", started=received + 0.5)
    assert log.covers("sub_skew", received_at=received_at)
    # Within the skew, the web process's clock may be the one behind: the
    # read may be older than the event, and covers nothing.
    log = committed(object_id="sub_close", started=received + 0.3)
    assert not log.covers("sub_close", received_at=received_at)
    assert not log.covers("sub_never_read", received_at=received_at)
    assert not log.covers("", received_at=received_at)


def test_reads_are_kept_per_vendor_and_processor(received_at):
    started = received_at.timestamp() + 10
    committed(vendor_id=1, processor="stripe", object_id="sub_shared", started=started)
    assert ReadLog(vendor_id=1, processor="stripe").covers("sub_shared", received_at=received_at)
    assert not ReadLog(vendor_id=2, processor="stripe").covers(
        "sub_shared", received_at=received_at
    )
    assert not ReadLog(vendor_id=1, processor="paypal").covers(
        "sub_shared", received_at=received_at
    )


def test_an_older_read_committed_late_does_not_replace_a_newer_one(received_at):
    received = received_at.timestamp()
    committed(object_id="sub_order", started=received + 10)
    log = committed(object_id="sub_order", started=received - 30)  # a slow worker's read
    assert log.covers("sub_order", received_at=received_at)


def test_a_read_counts_only_once_committed(received_at):
    log = ReadLog(vendor_id=1, processor="stripe")
    log.read("sub_pending", received_at.timestamp() + 10)
    assert not log.covers("sub_pending", received_at=received_at)
    log.commit()
    assert log.covers("sub_pending", received_at=received_at)
