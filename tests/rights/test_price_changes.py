"""Price increases: staff announce one on a subscription (at least 7 days
ahead), the customer is told at once in their language with the old and
new amount, the date and the cancellation page; the daily task catches a
reminder the announcement did not send, and nothing goes twice."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import AuditEvent
from rights.models import PriceChange, Reminder
from rights.price_changes import (
    PriceChangeInvalid,
    earliest_effective_on,
    price_change_announce,
    price_increase_reminders_record,
)
from rights.tasks import reminders_task
from tests.factories import SubscriptionFactory

ADD = "/admin/rights/pricechange/add/"


@pytest.fixture
def sub(alice):
    return SubscriptionFactory(
        customer=alice, product="Pro Membership", amount=Decimal("20.00"), currency="USD",
        next_payment_at=timezone.now() + timedelta(days=60), card_exp_year=2040,
    )  # fmt: skip


def announce(sub, days=10, amount="25.00", **kwargs):
    on = timezone.localdate() + timedelta(days=days)
    return price_change_announce(
        subscription=sub, amount=Decimal(amount), effective_on=on, **kwargs
    )


def test_announcing_sends_the_reminder_once_with_old_and_new_amount(
    sub, northwind_staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = announce(sub, user=northwind_staff)
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert email.subject == "The price of Pro Membership is changing"
    assert "from $20.00 to $25.00" in email.body
    on = change.effective_at
    assert on.strftime("%B") in email.body and str(on.day) in email.body
    assert "Cancel contracts here: http://testserver/northwind/updateinfo/cancel/" in email.body
    html = email.alternatives[0][0]
    assert 'href="http://testserver/northwind/updateinfo/cancel/?lang=en"' in html
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.amount, reminder.event_at) == (
        "price_increase", Decimal("25.00"), change.effective_at,
    )  # fmt: skip
    event = AuditEvent.objects.get(action="subscription.price_change_announced")
    assert event.user == northwind_staff and event.details["amount"] == "25.00"
    # The daily task, run twice, sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        reminders_task()
        reminders_task()
    assert len(mail.outbox) == 1 and Reminder.objects.count() == 1


def test_it_applies_from_the_start_of_the_day_in_the_vendors_time_zone(vendor, sub):
    vendor.timezone = "Europe/Berlin"
    vendor.save()
    sub.refresh_from_db()
    change = announce(sub, days=12)
    zone = ZoneInfo("Europe/Berlin")
    assert change.effective_at == datetime.combine(change.effective_on, datetime.min.time(), zone)


def test_at_least_seven_days_notice(vendor, sub):
    now = datetime(2027, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    # Seven whole days after today: 1 March announces 9 March at the earliest.
    assert earliest_effective_on(vendor, now) == date(2027, 3, 9)
    for effective_on in [date(2027, 3, 8), date(2027, 3, 2), date(2027, 2, 1)]:
        with pytest.raises(PriceChangeInvalid) as error:
            price_change_announce(subscription=sub, amount=Decimal("25"),
                                  effective_on=effective_on, now=now)  # fmt: skip
        assert error.value.field == "effective_on"
    price_change_announce(subscription=sub, amount=Decimal("25"), effective_on=date(2027, 3, 9),
                          now=now)  # fmt: skip
    assert PriceChange.objects.count() == 1


def test_only_an_increase_on_a_subscription_that_charges(sub):
    with pytest.raises(PriceChangeInvalid) as error:
        announce(sub, amount="20.00")
    assert error.value.field == "amount"
    sub.status = "canceled"
    sub.save()
    with pytest.raises(PriceChangeInvalid) as error:
        announce(sub)
    assert error.value.field == "subscription" and not PriceChange.objects.exists()


def test_with_the_setting_off_nothing_is_sent_and_the_daily_task_sends_it_once_on(
    vendor, sub, django_capture_on_commit_callbacks
):
    vendor.remind_price_increase = False
    vendor.save()
    sub.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        announce(sub)
        reminders_task()
    assert mail.outbox == [] and not Reminder.objects.exists()
    vendor.remind_price_increase = True
    vendor.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert price_increase_reminders_record() == 1
        assert price_increase_reminders_record() == 0
    assert len(mail.outbox) == 1


def test_a_change_already_applied_is_not_reminded(sub, django_capture_on_commit_callbacks):
    sub.vendor.remind_price_increase = False
    sub.vendor.save()
    change = announce(sub, days=8)
    sub.vendor.remind_price_increase = True
    sub.vendor.save()
    later = change.effective_at + timedelta(seconds=1)
    assert price_increase_reminders_record(now=later) == 0


def test_the_email_is_in_the_customers_language(vendor, sub, django_capture_on_commit_callbacks):
    vendor.languages = ["en", "de"]
    vendor.save()
    sub.customer.language = "de"
    sub.customer.save()
    sub.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        announce(sub)
    [email] = mail.outbox
    assert email.body.startswith("Guten Tag Alice Adams,")
    assert "25,00" in email.body  # German money formatting


def test_the_admin_announces_from_the_subscription_list(
    client, vendor, sub, northwind_staff, django_capture_on_commit_callbacks
):
    client.force_login(northwind_staff)
    response = client.post(
        "/admin/billing/subscription/",
        {"action": "announce_price_change", "_selected_action": [sub.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{ADD}?subscription={sub.pk}"
    form = client.get(response["Location"]).content.decode()
    assert f'<option value="{sub.pk}" selected>alice@example.com · Pro Membership · $20.00' in form
    too_soon = timezone.localdate() + timedelta(days=3)
    html = client.post(
        ADD, {"subscription": sub.pk, "amount": "25.00", "effective_on": too_soon.isoformat()}
    ).content.decode()
    assert "at least 7 days ahead" in html and not PriceChange.objects.exists()
    on = timezone.localdate() + timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            ADD, {"subscription": sub.pk, "amount": "25.00", "effective_on": on.isoformat()}
        )
    assert response.status_code == 302
    change = PriceChange.objects.get()
    assert change.created_by == northwind_staff and change.old_amount == Decimal("20.00")
    assert len(mail.outbox) == 1
    # The record cannot be edited or deleted.
    client.post(f"/admin/rights/pricechange/{change.pk}/change/", {"amount": "99.00"})
    change.refresh_from_db()
    assert change.amount == Decimal("25.00")


def test_staff_never_reach_another_vendors_subscriptions(client, sub, acme_alice, acme_staff):
    theirs = SubscriptionFactory(customer=acme_alice, product="Acme Yearly", amount=Decimal("9"))
    client.force_login(acme_staff)
    form = client.get(f"{ADD}?subscription={sub.pk}").content.decode()
    assert "Pro Membership" not in form and "Acme Yearly" in form
    on = timezone.localdate() + timedelta(days=14)
    html = client.post(
        ADD, {"subscription": sub.pk, "amount": "25.00", "effective_on": on.isoformat()}
    ).content.decode()
    assert "Select a valid choice" in html and not PriceChange.objects.exists()
    assert theirs.pk != sub.pk


def test_the_list_shows_a_vendors_own_announcements_in_fixed_queries(
    client, sub, acme_alice, acme_staff, northwind_staff, django_assert_num_queries
):
    announce(sub)
    theirs = SubscriptionFactory(customer=acme_alice, product="Acme Yearly", amount=Decimal("9"))
    announce(theirs, amount="12.00")
    client.force_login(acme_staff)
    html = client.get("/admin/rights/pricechange/").content.decode()
    assert "Acme Yearly" in html and "Pro Membership" not in html
    mine = PriceChange.objects.get(subscription=sub)
    assert client.get(f"/admin/rights/pricechange/{mine.pk}/change/").status_code == 404
    client.force_login(northwind_staff)
    client.get("/admin/rights/pricechange/")
    with CaptureQueriesContext(connection) as one:
        client.get("/admin/rights/pricechange/")
    for days in range(11, 16):
        announce(SubscriptionFactory(customer=sub.customer, amount=Decimal("5")), days=days)
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get("/admin/rights/pricechange/").content.decode()
    assert html.count("Pro Membership") >= 1
