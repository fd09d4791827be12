"""Retries never outlive the broker's visibility timeout (issue 20): a retry
due later than the broker can hold a message waits in the database, and
the periodic re-enqueue publishes it when it is due."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from tests.conftest import require
from tests.support.tasks import diagnostic_email_send
from vendors.models import ScheduledRetry
from vendors.retries import scheduled_retries_enqueue


@pytest.fixture
def as_worker(settings):
    """The task runs as a worker runs it (not eagerly, not called directly),
    third try; what the retry publishes runs eagerly (the suite's mode), so
    an email in the outbox is a retry that went through the broker."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    diagnostic_email_send.push_request(
        args=["x@example.com"], kwargs={}, retries=3, is_eager=False, called_directly=False
    )
    yield
    diagnostic_email_send.pop_request()


def test_a_retry_later_than_the_broker_can_hold_waits_in_the_database(db, as_worker, settings):
    delay = settings.TASK_RETRY_BROKER_MAX_DELAY + 1
    with pytest.raises(Retry):
        diagnostic_email_send.retry(countdown=delay, exc=ConnectionRefusedError("down"))
    row = ScheduledRetry.objects.get()
    assert (row.task, row.args, row.kwargs, row.retries) == (
        diagnostic_email_send.name,
        ["x@example.com"],
        {},
        4,
    )
    assert abs((row.run_at - timezone.now()).total_seconds() - delay) < 5
    assert "ConnectionRefusedError" in row.reason
    assert mail.outbox == []  # nothing was published


def test_a_short_retry_still_goes_through_the_broker(db, as_worker, settings):
    with pytest.raises(Retry):
        diagnostic_email_send.retry(countdown=settings.TASK_RETRY_BROKER_MAX_DELAY)
    assert not ScheduledRetry.objects.exists()
    assert len(mail.outbox) == 1


def test_with_the_database_locked_the_retry_waits_in_the_broker_no_longer_than_it_may(
    transactional_db, as_worker, settings
):
    # A real database failure: the table is locked by another session and
    # this one gives up waiting after 100 ms (lock_timeout).
    require(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL=postgres://...)")
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE vendors_scheduledretry IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '100ms'")
        with pytest.raises(Retry) as retried:
            diagnostic_email_send.retry(countdown=3600, exc=ConnectionRefusedError("down"))
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert retried.value.when == settings.TASK_RETRY_BROKER_MAX_DELAY
    assert len(mail.outbox) == 1
    assert not ScheduledRetry.objects.exists()


def test_due_retries_are_published_once_and_later_ones_wait(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    due = ScheduledRetry.objects.create(
        task=diagnostic_email_send.name, args=["due@example.com"], retries=5, run_at=now
    )
    later = ScheduledRetry.objects.create(
        task=diagnostic_email_send.name,
        args=["later@example.com"],
        retries=5,
        run_at=now + timedelta(minutes=10),
    )
    gone = ScheduledRetry.objects.create(task="tasks.that.was.removed", run_at=now)
    assert scheduled_retries_enqueue() == 1
    assert [m.to for m in mail.outbox] == [["due@example.com"]]
    assert list(ScheduledRetry.objects.values_list("pk", flat=True)) == [later.pk]
    assert scheduled_retries_enqueue() == 0  # nothing twice
    assert len(mail.outbox) == 1
    assert due.pk != gone.pk


def test_the_broker_holds_a_retry_for_at_most_half_the_visibility_timeout(settings):
    assert settings.TASK_RETRY_BROKER_MAX_DELAY <= settings.CELERY_VISIBILITY_TIMEOUT // 2
    assert "scheduled-retries-enqueue" in settings.CELERY_BEAT_SCHEDULE
    assert settings.TASK_RETRY_SWEEP_SECONDS <= 60


def test_every_task_of_ours_retries_database_errors_and_waits_in_the_database():
    from django.db import InterfaceError, OperationalError

    import billing.tasks
    import magiclinks.tasks
    import vendors.tasks
    from hub.celery import app
    from vendors.retries import DurableTask

    assert billing.tasks and magiclinks.tasks and vendors.tasks  # registered
    ours = [
        task
        for name, task in app.tasks.items()
        if name.split(".")[0] in {"billing", "magiclinks", "vendors"}
        and not name.endswith(("_purge_task", "_finalize_task", "_sweep_task", "_enqueue_task"))
        and name != "billing.tasks.stripe_import_task"
    ]
    assert len(ours) >= 10
    for task in ours:
        assert isinstance(task, DurableTask), task.name
        assert issubclass(OperationalError, task.autoretry_for), task.name
        assert issubclass(InterfaceError, task.autoretry_for), task.name
        assert task.acks_late, task.name
