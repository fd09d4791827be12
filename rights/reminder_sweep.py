"""A reminder is recorded before it is sent, and its email queued when the
record commits. If the broker was away at that moment, or a worker died
mid-send, the row stays unsent: this sweep queues it again while the event
is still ahead. The email is claimed (rights.cancellations.send_claimed), so
a reminder queued twice is sent once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from .models import Reminder

# Leave the queue time to deliver what was just recorded.
SWEEP_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


def reminders_unsent_requeue(*, now: datetime | None = None) -> int:
    """Queue the unsent reminders whose event has not come; returns how many."""
    from .tasks import reminder_send_task

    now = now or timezone.now()
    pks = (
        Reminder.objects.filter(
            sent_at__isnull=True, created_at__lt=now - SWEEP_AFTER, event_at__gt=now
        )
        .filter(Q(send_claimed_until__isnull=True) | Q(send_claimed_until__lt=now))
        .order_by("event_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    queued = 0
    for pk in pks:
        reminder_send_task.delay(pk)
        queued += 1
    return queued
