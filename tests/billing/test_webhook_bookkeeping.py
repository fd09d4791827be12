"""The webhook rows' own bookkeeping, at its edges: which events the sweep
queues again and how many, which bodies the purge empties and when, what a
failure records, and what a claim counts (issue 27: the survivors of
mutation testing of billing/processors/webhooks.py)."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from billing.models import WebhookEvent
from billing.processors.webhooks import (
    webhook_bodies_purge,
    webhook_event_claim,
    webhook_event_failed,
    webhook_events_sweep,
)
from tests.factories import WebhookEventFactory

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def received(vendor):
    """An event received at a given moment. Live, at a vendor in test mode:
    processing it ends as "ignored" without asking Stripe."""
    made: list[int] = []

    def make(at, **fields):
        fields = {"event_type": "customer.updated", "livemode": True} | fields
        event = WebhookEventFactory(vendor=vendor, **fields)
        WebhookEvent.objects.filter(pk=event.pk).update(received_at=at)
        made.append(event.pk)
        return event

    yield make
    cache.delete_many([f"webhook-swept:{pk}" for pk in made])


def outcome(event) -> str:
    return WebhookEvent.objects.get(pk=event.pk).outcome


# --- the sweep -----------------------------------------------------------------------


def test_the_sweep_waits_exactly_its_interval_from_the_moment_given(received, settings):
    settings.WEBHOOK_SWEEP_AFTER = 600
    event = received(NOW - timedelta(days=2))
    # Stale by the real clock, not yet by the moment the caller gives.
    assert webhook_events_sweep(now=NOW - timedelta(days=2, seconds=600)) == 0
    assert outcome(event) == ""
    assert webhook_events_sweep(now=NOW - timedelta(days=2, seconds=-601)) == 1
    assert outcome(event) == "ignored"


def test_the_sweep_leaves_an_event_until_its_interval_has_fully_passed(received, settings):
    settings.WEBHOOK_SWEEP_AFTER = 600
    event = received(NOW - timedelta(seconds=600))
    assert webhook_events_sweep(now=NOW) == 0
    assert outcome(event) == ""
    assert webhook_events_sweep(now=NOW + timedelta(microseconds=1)) == 1


def test_the_sweep_takes_the_oldest_events_first_up_to_its_limit(received, settings):
    settings.WEBHOOK_SWEEP_AFTER = 600
    newest = received(NOW - timedelta(hours=1))
    oldest = received(NOW - timedelta(hours=3))
    middle = received(NOW - timedelta(hours=2))
    assert webhook_events_sweep(now=NOW, limit=2) == 2
    assert (outcome(oldest), outcome(middle), outcome(newest)) == ("ignored", "ignored", "")


def test_the_sweep_skips_an_event_it_queued_within_the_interval(received, settings):
    settings.WEBHOOK_SWEEP_AFTER = 600
    marked = received(NOW - timedelta(hours=1))
    other = received(NOW - timedelta(hours=1))
    # What an earlier sweep (another beat tick, a worker still down) left.
    cache.add(f"webhook-swept:{marked.pk}", 1, 600)
    assert webhook_events_sweep(now=NOW) == 1
    assert (outcome(marked), outcome(other)) == ("", "ignored")


def test_the_sweeps_mark_lasts_one_interval(received, settings):
    settings.WEBHOOK_SWEEP_AFTER = 1
    event = received(NOW - timedelta(hours=1))
    assert webhook_events_sweep() == 1
    key = f"webhook-swept:{event.pk}"
    assert cache.get(key) is not None
    time.sleep(1.2)
    assert cache.get(key) is None  # the next sweep may queue it again


def test_the_sweep_logs_how_many_it_queued(received, settings, caplog):
    settings.WEBHOOK_SWEEP_AFTER = 600
    received(NOW - timedelta(hours=1))
    received(NOW - timedelta(hours=1))
    with caplog.at_level("WARNING", logger="billing.processors.webhooks"):
        assert webhook_events_sweep(now=NOW) == 2
    assert "webhook sweep: 2 stale event(s) queued again" in caplog.messages
    caplog.clear()
    with caplog.at_level("WARNING", logger="billing.processors.webhooks"):
        assert webhook_events_sweep(now=NOW) == 0
    assert not caplog.messages


# --- the purge -----------------------------------------------------------------------


def test_the_purge_counts_from_the_moment_given_and_records_it(received, settings):
    settings.WEBHOOK_BODY_RETENTION_DAYS = 90
    event = received(NOW - timedelta(days=95), outcome="processed", headers={"a": "b"})
    then = NOW - timedelta(days=10)  # 85 days after it arrived: kept
    assert webhook_bodies_purge(now=then) == 0
    assert WebhookEvent.objects.get(pk=event.pk).body == "{}"
    assert webhook_bodies_purge(now=NOW) == 1
    purged = WebhookEvent.objects.get(pk=event.pk)
    assert (purged.body, purged.headers, purged.body_purged_at) == ("", {}, NOW)


def test_the_purge_keeps_a_body_until_the_retention_has_fully_passed(received, settings):
    settings.WEBHOOK_BODY_RETENTION_DAYS = 90
    event = received(NOW - timedelta(days=90), outcome="processed")
    assert webhook_bodies_purge(now=NOW) == 0
    assert webhook_bodies_purge(now=NOW + timedelta(microseconds=1)) == 1
    assert WebhookEvent.objects.get(pk=event.pk).body == ""


def test_the_purge_empties_a_body_once_and_keeps_bodies_still_waiting(received, settings):
    settings.WEBHOOK_BODY_RETENTION_DAYS = 90
    done = received(NOW - timedelta(days=100), outcome="ignored")
    failed = received(NOW - timedelta(days=100), outcome="failed")
    pending = received(NOW - timedelta(days=100))
    retrying = received(NOW - timedelta(days=100), outcome="retrying")
    assert webhook_bodies_purge(now=NOW) == 2
    assert webhook_bodies_purge(now=NOW + timedelta(days=1)) == 0
    assert WebhookEvent.objects.get(pk=done.pk).body_purged_at == NOW
    assert WebhookEvent.objects.get(pk=failed.pk).body == ""
    assert WebhookEvent.objects.get(pk=pending.pk).body == "{}"
    assert WebhookEvent.objects.get(pk=retrying.pk).body == "{}"


# --- failures and claims -------------------------------------------------------------


def test_a_failure_keeps_the_first_2000_characters_of_its_error(received):
    event = received(NOW)
    other = received(NOW)
    webhook_event_failed(event=event, error="e" * 1999 + "xy" + "z" * 500, final=False)
    stored = WebhookEvent.objects.get(pk=event.pk)
    assert (stored.outcome, stored.error) == ("retrying", "e" * 1999 + "x")
    webhook_event_failed(event=event, error="gave up", final=True)
    stored = WebhookEvent.objects.get(pk=event.pk)
    assert (stored.outcome, stored.error) == ("failed", "gave up")
    assert (outcome(other), WebhookEvent.objects.get(pk=other.pk).error) == ("", "")


@pytest.mark.parametrize("state", ["", "retrying", "failed"])
def test_a_claim_counts_an_attempt_at_an_event_not_done(received, state):
    event = received(NOW, outcome=state, attempts=2)
    claimed = webhook_event_claim(event_id=event.pk)
    assert claimed is not None and claimed.pk == event.pk
    assert claimed.attempts == 3
    assert WebhookEvent.objects.get(pk=event.pk).attempts == 3


@pytest.mark.parametrize("state", ["processed", "ignored"])
def test_a_claim_on_an_event_done_counts_nothing(received, state):
    event = received(NOW, outcome=state, attempts=1)
    assert webhook_event_claim(event_id=event.pk) is None
    assert WebhookEvent.objects.get(pk=event.pk).attempts == 1


# --- processing that needs no processor ----------------------------------------------


def test_an_event_whose_body_was_purged_is_ignored_when_processed_again(received):
    from billing.processors.webhooks import webhook_event_process

    event = received(NOW, livemode=False, outcome="failed", body="")
    before = timezone.now()
    effects = webhook_event_process(
        event=WebhookEvent.objects.select_related("vendor").get(pk=event.pk)
    )
    stored = WebhookEvent.objects.get(pk=event.pk)
    assert (stored.outcome, stored.error) == ("ignored", "event type not handled")
    assert before <= stored.processed_at <= timezone.now()
    assert (effects.paid, effects.failed, effects.refunds) == ([], [], [])


def test_an_event_of_a_type_we_do_not_handle_is_ignored_with_the_time(received):
    from billing.processors.webhooks import webhook_event_process

    event = received(
        NOW,
        livemode=False,
        event_type="charge.captured",
        body='{"data": {"object": {"id": "ch_1"}}}',
    )
    before = timezone.now()
    webhook_event_process(event=WebhookEvent.objects.select_related("vendor").get(pk=event.pk))
    stored = WebhookEvent.objects.get(pk=event.pk)
    assert (stored.outcome, stored.error) == ("ignored", "event type not handled")
    assert before <= stored.processed_at <= timezone.now()


def test_an_event_in_the_other_mode_is_ignored_with_the_time(received):
    from billing.processors.webhooks import webhook_event_process

    event = received(NOW, livemode=True, event_type="invoice.paid")
    before = timezone.now()
    webhook_event_process(event=WebhookEvent.objects.select_related("vendor").get(pk=event.pk))
    stored = WebhookEvent.objects.get(pk=event.pk)
    assert (stored.outcome, stored.error) == ("ignored", "livemode does not match the vendor")
    assert before <= stored.processed_at <= timezone.now()


def test_one_sweep_queues_at_most_500_events(vendor, settings):
    settings.WEBHOOK_SWEEP_AFTER = 600
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            vendor=vendor,
            processor="stripe",
            event_id=f"evt_backlog_{n}",
            event_type="customer.updated",
            body="{}",
            livemode=True,
        )
        for n in range(501)
    )
    WebhookEvent.objects.update(received_at=NOW - timedelta(hours=1))
    try:
        assert webhook_events_sweep(now=NOW) == 500
        assert WebhookEvent.objects.filter(outcome="").count() == 1
    finally:
        cache.delete_many(
            [f"webhook-swept:{pk}" for pk in WebhookEvent.objects.values_list("pk", flat=True)]
        )


def test_the_services_refuse_a_body_over_one_mebibyte_themselves(vendor):
    """The view refuses one before reading it; the services, which other
    callers may use, refuse it too, and say why."""
    from billing.processors.webhooks import (
        MAX_BODY_BYTES,
        WebhookRejected,
        paypal_webhook_receive,
        stripe_webhook_receive,
    )

    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    with pytest.raises(WebhookRejected) as paypal:
        paypal_webhook_receive(vendor=vendor, payload=body, headers={})
    with pytest.raises(WebhookRejected) as stripe:
        stripe_webhook_receive(vendor=vendor, payload=body, signature_header="")
    assert paypal.value.reason == stripe.value.reason == "body too large"
    assert not WebhookEvent.objects.exists()
