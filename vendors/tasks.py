"""Background work that belongs to no domain: re-enqueueing retries that
waited in the database (vendors.retries)."""

from celery import shared_task

from .retries import scheduled_retries_enqueue


@shared_task(acks_late=True, ignore_result=True)
def scheduled_retries_enqueue_task() -> None:
    """Periodic (TASK_RETRY_SWEEP_SECONDS): publish the retries that are due.
    A failed run is simply the next run's work."""
    scheduled_retries_enqueue()
