"""A reminder recorded while the broker was away is sent by the sweep, once,
while its event is still ahead."""

from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.utils import timezone

from rights.models import Reminder
from rights.reminder_sweep import reminders_unsent_requeue
from rights.tasks import reminders_sweep_task
from tests.factories import SubscriptionFactory


def recorded(customer, *, minutes_ago, event_in_days=20, **fields):
    sub = SubscriptionFactory(customer=customer, product="Yearly Plan", interval="year")
    row = Reminder.objects.create(
        vendor=customer.vendor, subscription=sub, kind="annual_renewal", amount=sub.amount,
        currency="USD", event_at=timezone.now() + timedelta(days=event_in_days), **fields,
    )  # fmt: skip
    Reminder.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return row


def test_an_unsent_reminder_is_sent_once(alice, bob):
    lost = recorded(alice, minutes_ago=30)
    recorded(bob, minutes_ago=2)  # just recorded: its own task is on the way
    recorded(bob, minutes_ago=30, event_in_days=-1)  # the event has passed
    recorded(bob, minutes_ago=30, sent_at=timezone.now())  # sent
    claimed = recorded(bob, minutes_ago=30)
    Reminder.objects.filter(pk=claimed.pk).update(
        send_claimed_until=timezone.now() + timedelta(minutes=5)
    )  # a worker is sending it now
    assert reminders_unsent_requeue() == 1
    [email] = mail.outbox
    assert email.to == ["alice@example.com"] and email.subject == "Yearly Plan renews soon"
    lost.refresh_from_db()
    assert lost.sent_at is not None
    assert reminders_unsent_requeue() == 0 and len(mail.outbox) == 1


def test_the_sweep_runs_from_celery_beat(alice):
    entry = settings.CELERY_BEAT_SCHEDULE["rights-reminders-sweep"]
    assert entry["task"] == reminders_sweep_task.name == "rights.tasks.reminders_sweep_task"
    assert entry["schedule"] <= 60 * 60
    recorded(alice, minutes_ago=30)
    reminders_sweep_task.apply()
    assert len(mail.outbox) == 1
