"""Task retries that never outlive the broker's visibility timeout.

With Redis as the broker and `acks_late`, a retry published with a countdown
is an unacknowledged message held by a worker until its time comes; Redis
hands it to another worker once CELERY_VISIBILITY_TIMEOUT passes. A 512 s
mail retry under a 300 s timeout therefore ran twice, at the same moment
(measured, issue 20). So a retry due within TASK_RETRY_BROKER_MAX_DELAY goes
through the broker as usual, and a later one is written to the database
(ScheduledRetry) and re-enqueued by `scheduled_retries_enqueue`, which Celery
beat runs every TASK_RETRY_SWEEP_SECONDS. If the database cannot take it (the
retry is for a database outage), it goes through the broker after at most
TASK_RETRY_BROKER_MAX_DELAY: a shorter wait, never a second copy.

Every task still claims its effect in the database (sent_at, processed_at):
the re-enqueue publishes before it deletes its row, so a crash in between
means a second message, which the claim turns into no second effect.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import Task, current_app
from celery.exceptions import Retry
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from .models import ScheduledRetry

logger = logging.getLogger(__name__)

# A database that is down, restarting, or cancelled a statement (timeouts):
# worth another try later, like a mail server that is down.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def _delay_seconds(*, eta: datetime | None, countdown: float | None, default: float) -> float:
    if eta is not None:
        return max(0.0, (eta - timezone.now()).total_seconds())
    return float(default if countdown is None else countdown)


class DurableTask(Task):
    """A task whose long retries wait in the database (see the module)."""

    def retry(
        self,
        args=None,
        kwargs=None,
        exc=None,
        throw=True,
        eta=None,
        countdown=None,
        max_retries=None,
        **options,
    ):
        request = self.request
        delay = _delay_seconds(eta=eta, countdown=countdown, default=self.default_retry_delay)
        broker_max = settings.TASK_RETRY_BROKER_MAX_DELAY
        limit = self.max_retries if max_retries is None else max_retries
        exhausted = limit is not None and request.retries + 1 > limit
        if request.called_directly or request.is_eager or delay <= broker_max or exhausted:
            return super().retry(args, kwargs, exc, throw, eta, countdown, max_retries, **options)
        run_at = timezone.now() + timedelta(seconds=delay)
        try:
            ScheduledRetry.objects.create(
                task=self.name,
                args=list(request.args if args is None else args),
                kwargs=dict(request.kwargs if kwargs is None else kwargs),
                retries=request.retries + 1,
                run_at=run_at,
                reason=(f"{type(exc).__name__}: {exc}" if exc else "")[:500],
            )
        except DATABASE_ERRORS:
            # The database is what failed: wait as long as the broker can
            # hold a message, no longer, and try the database again then.
            logger.warning("%s: retry kept in the broker (database down)", self.name)
            return super().retry(args, kwargs, exc, throw, None, broker_max, max_retries, **options)
        # The message is acknowledged as a retry (Celery's own Retry outcome);
        # the row above is the retry.
        ret = Retry(exc=exc, when=run_at)
        if throw:
            raise ret
        return ret


# The options of every task of ours: acknowledged after it ran (a lost
# worker means a rerun), long retries in the database, database errors
# retried (1 s doubling to 10 minutes, about 2.6 hours in all).
DURABLE_TASK_OPTIONS: dict = {
    "base": DurableTask,
    "acks_late": True,
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 10 * 60,
    "retry_jitter": False,
    "max_retries": 24,
}


def scheduled_retries_enqueue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish the retries that are due and delete their rows; returns how
    many went out. Rows are locked with SKIP LOCKED, so two beats (or a
    manual run beside beat) never publish one row twice. A broker that is
    down stops the run; the rest stay for the next one."""
    now = now or timezone.now()
    published = 0
    with transaction.atomic():
        due = list(
            ScheduledRetry.objects.select_for_update(skip_locked=True)
            .filter(run_at__lte=now)
            .order_by("run_at")[:limit]
        )
        for row in due:
            task = current_app.tasks.get(row.task)
            if task is None:  # renamed or removed since: nothing can run it
                logger.error("scheduled retry %s: unknown task %s dropped", row.pk, row.task)
                row.delete()
                continue
            try:
                task.apply_async(row.args, row.kwargs, retries=row.retries)
            except Exception:  # noqa: BLE001 - the broker: kept for the next run
                logger.warning(
                    "scheduled retries: broker unavailable, %s left", len(due) - published
                )
                break
            row.delete()
            published += 1
    return published
