"""Reminders before a charge: a trial converting (7 days), an annual renewal
(30 days), a card expiring before the next payment; each once, whatever
the number of runs; each with amount, date and the cancellation page."""

from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.utils import timezone

from rights.models import Reminder
from rights.reminders import reminders_due, reminders_record
from rights.tasks import reminders_task
from tests.factories import SubscriptionFactory


def run(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reminders_task()


def test_each_reminder_is_sent_once_however_often_the_task_runs(
    vendor, alice, bob, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
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
    # Not due: a renewal in 60 days, a monthly one, a cancelled one.
    SubscriptionFactory(customer=bob, interval="year", next_payment_at=now + timedelta(days=60))
    SubscriptionFactory(customer=bob, next_payment_at=now + timedelta(days=10),
                        card_exp_year=now.year + 3)  # fmt: skip
    SubscriptionFactory(customer=bob, interval="year", status="canceled",
                        next_payment_at=now + timedelta(days=10))  # fmt: skip
    with django_assert_max_num_queries(3):
        due = reminders_due(now)
    assert len(due) == 2
    run(django_capture_on_commit_callbacks)
    run(django_capture_on_commit_callbacks)
    assert Reminder.objects.count() == 2 and Reminder.objects.filter(sent_at=None).count() == 0
    by_to = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 2
    trial = by_to["alice@example.com"]
    assert trial.subject == "Your free trial of Pro Trial ends soon"
    assert "$29.00" in trial.body and "http://testserver/northwind/updateinfo/cancel/" in trial.body
    renewal = by_to["bob@example.com"]
    assert renewal.subject == "Yearly Plan renews soon" and "$240.00" in renewal.body
    html = renewal.alternatives[0][0]
    assert 'href="http://testserver/northwind/updateinfo/cancel/?lang=en"' in html


def test_a_card_that_expires_before_the_next_payment(
    vendor, alice, django_capture_on_commit_callbacks
):
    now = timezone.now()
    payment_at = now + timedelta(days=25)
    expiring = payment_at - timedelta(days=40)  # its month is over before the payment
    SubscriptionFactory(
        customer=alice, product="Monthly", next_payment_at=payment_at,
        card_exp_month=expiring.month, card_exp_year=expiring.year,
    )  # fmt: skip
    run(django_capture_on_commit_callbacks)
    [email] = mail.outbox
    assert email.subject == "Your card expires before the next payment for Monthly"
    assert Reminder.objects.get().kind == "card_expiry"


def test_a_vendor_can_turn_each_reminder_off(vendor, alice, django_capture_on_commit_callbacks):
    vendor.remind_trial_end = False
    vendor.save()
    now = timezone.now()
    SubscriptionFactory(customer=alice, status="trialing", trial_end=now + timedelta(days=3),
                        next_payment_at=now + timedelta(days=3),
                        card_exp_year=now.year + 3)  # fmt: skip
    run(django_capture_on_commit_callbacks)
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_a_later_renewal_is_reminded_again(vendor, alice, django_capture_on_commit_callbacks):
    now = timezone.now()
    sub = SubscriptionFactory(customer=alice, interval="year",
                              next_payment_at=now + timedelta(days=20),
                              card_exp_year=now.year + 3)  # fmt: skip
    run(django_capture_on_commit_callbacks)
    sub.next_payment_at = now + timedelta(days=385)
    sub.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_record(now=now + timedelta(days=360)) == 1
    assert len(mail.outbox) == 2


def test_the_admin_lists_a_vendors_reminders_only(
    client, vendor, alice, acme_alice, northwind_staff, django_capture_on_commit_callbacks
):
    now = timezone.now()
    for customer, product in [(alice, "Northwind Yearly"), (acme_alice, "Acme Yearly")]:
        SubscriptionFactory(customer=customer, product=product, interval="year",
                            next_payment_at=now + timedelta(days=20),
                            card_exp_year=now.year + 3)  # fmt: skip
    run(django_capture_on_commit_callbacks)
    client.force_login(northwind_staff)
    html = client.get("/admin/rights/reminder/").content.decode()
    assert "Northwind Yearly" in html and "Acme Yearly" not in html
