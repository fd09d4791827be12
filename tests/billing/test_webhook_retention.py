"""Raw webhook bodies are kept 90 days; the event rows stay as the record."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from billing.models import WebhookEvent
from billing.tasks import webhook_bodies_purge_task
from tests.factories import WebhookEventFactory


def aged(days, **kwargs):
    event = WebhookEventFactory(body='{"id": "evt"}', headers={"Stripe-Signature": "t=1"}, **kwargs)
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(days=days)
    )
    return event


def test_it_purges_bodies_older_than_90_days_and_keeps_the_rows(vendor):
    old = aged(91, vendor=vendor, outcome="processed")
    recent = aged(89, vendor=vendor, outcome="processed")
    webhook_bodies_purge_task.apply()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.body, old.headers) == ("", {})
    assert old.body_purged_at is not None
    assert (old.event_id, old.event_type, old.outcome) == (
        old.event_id,
        "invoice.paid",
        "processed",
    )
    assert recent.body == '{"id": "evt"}' and recent.body_purged_at is None


def test_it_keeps_the_body_of_an_event_still_waiting_to_be_processed(vendor):
    waiting = aged(120, vendor=vendor, outcome="retrying")
    webhook_bodies_purge_task.apply()
    waiting.refresh_from_db()
    assert waiting.body == '{"id": "evt"}'


def test_the_purge_runs_daily_from_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["webhook-bodies-purge"]
    assert entry["task"] == "billing.tasks.webhook_bodies_purge_task"
    assert entry["schedule"] == 24 * 60 * 60
    assert "subscriptions-finalize" in settings.CELERY_BEAT_SCHEDULE
    assert settings.WEBHOOK_BODY_RETENTION_DAYS == 90


def test_webhook_processing_has_its_own_queue():
    route = settings.CELERY_TASK_ROUTES["billing.tasks.webhook_event_process_task"]
    assert route == {"queue": settings.CELERY_WEBHOOKS_QUEUE}
    assert settings.CELERY_WEBHOOKS_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
    assert "billing.tasks.payment_receipt_task" not in settings.CELERY_TASK_ROUTES
