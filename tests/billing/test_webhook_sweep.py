"""An event we answered 2xx for is processed (issue 20, point 2): the sweep
queues events left pending or retrying, once per WEBHOOK_SWEEP_AFTER, and
leaves alone those a retry already waits for."""

import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from billing.models import WebhookEvent
from billing.processors.webhooks import webhook_events_sweep
from billing.tasks import webhook_event_process_task
from tests.support.celery_conf import celery_conf_set
from vendors.models import ScheduledRetry


@pytest.fixture
def event_at(stripe_vendor):
    made = []

    def make(event_id, *, minutes_ago, outcome=""):
        # A live event at a test-mode vendor: processing it ends as
        # "ignored" without calling Stripe, which is all the sweep needs.
        event = WebhookEvent.objects.create(
            vendor=stripe_vendor,
            processor="stripe",
            event_id=event_id,
            event_type="customer.updated",
            body="{}",
            livemode=True,
            outcome=outcome,
        )
        WebhookEvent.objects.filter(pk=event.pk).update(
            received_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
        cache.delete(f"webhook-swept:{event.pk}")
        made.append(event.pk)
        return event

    yield make
    cache.delete_many([f"webhook-swept:{pk}" for pk in made])


def _outcome(event) -> str:
    event.refresh_from_db()
    return event.outcome


def test_the_sweep_processes_stale_pending_and_retrying_events_once(event_at, settings):
    settings.WEBHOOK_SWEEP_AFTER = 600
    never_queued = event_at("evt_never_queued", minutes_ago=30)
    task_died = event_at("evt_task_died", minutes_ago=30, outcome="retrying")
    fresh = event_at("evt_fresh", minutes_ago=1)
    done = event_at("evt_done", minutes_ago=30, outcome="processed")
    assert webhook_events_sweep() == 2
    assert _outcome(never_queued) == _outcome(task_died) == "ignored"  # processed
    assert _outcome(fresh) == ""  # its own task may still be on its way
    assert _outcome(done) == "processed"


def test_an_event_is_queued_at_most_once_per_sweep_window(event_at, settings, redis_url):
    import redis

    from hub.celery import app

    settings.WEBHOOK_SWEEP_AFTER = 600
    event_at("evt_worker_down", minutes_ago=30)
    queue = settings.CELERY_WEBHOOKS_QUEUE
    broker = redis.Redis.from_url(redis_url)
    broker.delete(queue)
    # No worker: the first sweep's message waits in the queue (Redis, for
    # real). A sweep a minute later must not add a second copy.
    celery_conf_set(app, task_always_eager=False)
    try:
        assert webhook_events_sweep() == 1
        assert webhook_events_sweep() == 0
        assert broker.llen(queue) == 1
    finally:
        celery_conf_set(app, task_always_eager=True)
        broker.delete(queue)


def test_an_event_whose_retry_waits_in_the_database_is_left_to_it(event_at, settings):
    settings.WEBHOOK_SWEEP_AFTER = 600
    event = event_at("evt_waiting", minutes_ago=30, outcome="retrying")
    ScheduledRetry.objects.create(
        task=webhook_event_process_task.name,
        args=[event.pk],
        retries=3,
        run_at=timezone.now() + timedelta(minutes=30),
    )
    assert webhook_events_sweep() == 0
    assert _outcome(event) == "retrying"


def test_the_sweep_runs_every_minute(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["webhook-events-sweep"]
    assert schedule["task"] == webhook_event_process_task.name.replace(
        "webhook_event_process_task", "webhook_events_sweep_task"
    )
    assert schedule["schedule"] <= 60


@pytest.fixture
def broker_down():
    """The app publishes to a Redis that is not there (port 1): a real
    publish attempt, failing as it does when Redis is down."""
    from hub.celery import app

    # The producer pool too: one built by an earlier publish keeps its
    # connection to the real broker whatever broker_url says now.
    saved = (app.conf.broker_url, app._pool, app.amqp._producer_pool, app.conf.task_always_eager)
    celery_conf_set(app, broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    app._pool, app.amqp._producer_pool = None, None
    yield
    # kombu keeps one connection pool and one producer pool per broker URL
    # for the whole process (kombu.pools), and the app's pools are those.
    # Closed and left there, they are what the next publish to this URL gets
    # ("Acquire on closed pool" when this test runs again in one process, as
    # in mutmut's stats and clean runs): close them and forget them.
    from kombu.pools import connections, producers

    dead = app.connection_for_write()
    for group in (producers, connections):
        group[dead].force_close_all()
        del group[dead]
    dead.release()
    celery_conf_set(app, broker_url=saved[0], task_always_eager=saved[3])
    app._pool, app.amqp._producer_pool = saved[1], saved[2]


def test_a_webhook_that_cannot_be_queued_is_a_503_and_stays_stored(
    transactional_db, client, vendor, broker_down, caplog
):
    from tests.support.webhooks import SECRET, post_stripe, stripe_event

    vendor.stripe_secret_key, vendor.stripe_webhook_secret = "sk_test_northwind", SECRET
    vendor.save()
    payload = stripe_event(
        "customer.updated", {"id": "cus_1", "object": "customer"}, event_id="evt_no_queue"
    )
    response = post_stripe(client, payload)
    # Not a 200 for an event nobody queued: Stripe delivers it again, and
    # the stored row is the sweep's meanwhile.
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    event = WebhookEvent.objects.get(event_id="evt_no_queue")
    assert event.outcome == ""
    # A warning, not an error with a traceback (the sweep queues it): it
    # names the stored row, for staff who look for events stuck pending.
    assert [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "billing.processors.webhooks"
    ] == [(logging.WARNING, f"webhook event {event.pk}: could not queue its processing")]
