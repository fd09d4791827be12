"""The consumer-rights record is kept three years (California's automatic
renewal law asks for at least three), then the daily purge deletes it; a
declaration the vendor has not handled yet stays, however old."""

from datetime import UTC, datetime, timedelta

from django.conf import settings

from rights.models import CancellationDeclaration, PriceChange, Reminder, WithdrawalDeclaration
from rights.retention import retention_cutoff, rights_records_purge
from rights.tasks import rights_records_purge_task
from tests.factories import OrderFactory, SubscriptionFactory

NOW = datetime(2029, 6, 15, 12, 0, 0, tzinfo=UTC)
THREE_YEARS_AGO = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def cancellation(customer, created_at, status="carried_out"):
    return CancellationDeclaration.objects.create(
        vendor=customer.vendor, customer=customer, created_at=created_at, kind="ordinary",
        name=customer.name, email=customer.email, order_number="ORD-1", when="asap",
        status=status, token_hash=f"c{created_at.timestamp()}{status}",
    )  # fmt: skip


def withdrawal(customer, created_at, status="done"):
    return WithdrawalDeclaration.objects.create(
        vendor=customer.vendor, created_at=created_at, name=customer.name,
        email=customer.email, order_number="ORD-1", status=status,
        order=OrderFactory(customer=customer), token_hash=f"w{created_at.timestamp()}{status}",
    )  # fmt: skip


def reminder(subscription, created_at):
    row = Reminder.objects.create(
        vendor=subscription.vendor, subscription=subscription, kind="annual_renewal",
        event_at=created_at + timedelta(days=30), amount=subscription.amount, currency="USD",
        sent_at=created_at,
    )  # fmt: skip
    Reminder.objects.filter(pk=row.pk).update(created_at=created_at)  # auto_now_add
    return row


def price_change(subscription, created_at, applies):
    row = PriceChange.objects.create(
        vendor=subscription.vendor, subscription=subscription, old_amount=subscription.amount,
        amount=subscription.amount + 1, currency="USD", effective_on=applies.date(),
        effective_at=applies,
    )  # fmt: skip
    PriceChange.objects.filter(pk=row.pk).update(created_at=created_at)  # auto_now_add
    return row


def test_a_price_change_still_to_apply_is_kept_however_old_its_announcement(alice):
    sub = SubscriptionFactory(customer=alice)
    change = price_change(sub, THREE_YEARS_AGO - timedelta(days=10), applies=NOW)
    rights_records_purge(now=NOW)
    assert list(PriceChange.objects.all()) == [change]


def test_the_cutoff_is_three_calendar_years():
    assert retention_cutoff(NOW) == THREE_YEARS_AGO
    # 29 February has no twin three years before: the 28th, so never less than three years.
    leap = datetime(2028, 2, 29, 9, 30, tzinfo=UTC)
    assert retention_cutoff(leap) == datetime(2025, 2, 28, 9, 30, tzinfo=UTC)


def test_records_older_than_three_years_go_and_younger_ones_stay(alice):
    sub = SubscriptionFactory(customer=alice)
    old = THREE_YEARS_AGO - SECOND
    kept = [cancellation(alice, THREE_YEARS_AGO), withdrawal(alice, THREE_YEARS_AGO + SECOND)]
    kept_reminder = reminder(sub, THREE_YEARS_AGO)
    cancellation(alice, old, status="done"), cancellation(alice, old, status="rejected")
    withdrawal(alice, old), reminder(sub, old - timedelta(days=400))
    kept_change = price_change(sub, THREE_YEARS_AGO, applies=THREE_YEARS_AGO + SECOND)
    price_change(sub, old, applies=old - timedelta(days=1))
    counts = rights_records_purge(now=NOW)
    assert counts == {"cancellations": 2, "withdrawals": 1, "reminders": 1, "price_changes": 1}
    assert list(PriceChange.objects.all()) == [kept_change]
    remaining = [*CancellationDeclaration.objects.all(), *WithdrawalDeclaration.objects.all()]
    assert sorted(r.pk for r in remaining) == sorted(r.pk for r in kept)
    assert list(Reminder.objects.all()) == [kept_reminder]
    # Twice is fine.
    assert set(rights_records_purge(now=NOW).values()) == {0}


def test_a_declaration_nobody_handled_is_kept_however_old(alice):
    ancient = THREE_YEARS_AGO - timedelta(days=1000)
    waiting = [cancellation(alice, ancient, "received"), cancellation(alice, ancient, "open")]
    waiting += [withdrawal(alice, ancient, "received"), withdrawal(alice, ancient, "open")]
    rights_records_purge(now=NOW)
    assert CancellationDeclaration.objects.count() == 2
    assert WithdrawalDeclaration.objects.count() == 2


def test_the_purge_runs_daily_from_celery_beat(alice):
    entry = settings.CELERY_BEAT_SCHEDULE["rights-records-purge"]
    assert entry["task"] == rights_records_purge_task.name
    assert entry["task"] == "rights.tasks.rights_records_purge_task"
    assert entry["schedule"] <= 24 * 60 * 60
    cancellation(alice, datetime.now(UTC) - timedelta(days=3 * 366 + 1))
    rights_records_purge_task.apply()
    assert not CancellationDeclaration.objects.exists()
