"""The daily reminder task started twice at the same moment (two beat
processes, a retry racing the next run): each reminder is recorded and
sent once. Real concurrency needs PostgreSQL's row locks."""

import threading
from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.db import connection
from django.utils import timezone

from rights.models import Reminder
from rights.price_changes import price_change_announce
from rights.tasks import reminders_task
from tests.factories import SubscriptionFactory


def test_two_runs_at_once_send_each_reminder_once(postgres, transactional_db, vendor, alice, bob):
    now = timezone.now()
    SubscriptionFactory(
        customer=alice, product="Pro Trial", status="trialing", amount=Decimal("29.00"),
        trial_end=now + timedelta(days=5), next_payment_at=now + timedelta(days=5),
        card_exp_year=now.year + 3,
    )  # fmt: skip
    SubscriptionFactory(
        customer=bob, product="Yearly Plan", interval="year", amount=Decimal("240.00"),
        next_payment_at=now + timedelta(days=20), card_exp_year=now.year + 3,
    )  # fmt: skip
    vendor.remind_price_increase = False  # announced now, reminded by the runs below
    vendor.save()
    monthly = SubscriptionFactory(customer=bob, product="Monthly", amount=Decimal("10.00"),
                                  next_payment_at=now + timedelta(days=40),
                                  card_exp_year=now.year + 3)  # fmt: skip
    price_change_announce(subscription=monthly, amount=Decimal("12.00"),
                          effective_on=timezone.localdate() + timedelta(days=9))  # fmt: skip
    vendor.remind_price_increase = True
    vendor.save()
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run():
        try:
            start.wait()
            reminders_task()
        except BaseException as error:  # a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    kinds = sorted(Reminder.objects.values_list("kind", flat=True))
    assert kinds == ["annual_renewal", "price_increase", "trial_end"]
    assert sorted(m.subject for m in mail.outbox) == [
        "The price of Monthly is changing",
        "Yearly Plan renews soon",
        "Your free trial of Pro Trial ends soon",
    ]
