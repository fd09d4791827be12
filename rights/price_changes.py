"""Announcing a price increase: at least 7 days before it applies the
customer is told the old and the new amount, the date, and where to cancel
(California ARL, New York GBL 527-a).

The hub stores no schedule from the processors, so staff announce the
change (admin: "Announce a price change" on a subscription). The
announcement is stored and its reminder recorded in one transaction, the
email queued when it commits; the daily reminder task records any the
announcement could not (the vendor turned reminders back on, a crash), as
long as the change has not applied yet. A reminder is one row per
subscription, kind and date, so nothing is sent twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import audit_record
from billing.models import AuditEvent, Subscription
from magiclinks.services import task_after_commit
from vendors.formatting import local_date, vendor_zone

from .models import Reminder
from .price_models import PriceChange

PRICE_NOTICE_DAYS = 7
CHARGING = (Subscription.Status.ACTIVE, Subscription.Status.TRIALING, Subscription.Status.PAST_DUE)


class PriceChangeInvalid(ValueError):
    """What staff asked for cannot be announced; the message says why (and
    names the field it belongs to)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def earliest_effective_on(vendor, now: datetime | None = None) -> date:
    """The first day a price change announced now may apply: 7 full days
    after today in the vendor's time zone."""
    today = timezone.localtime(now or timezone.now(), vendor_zone(vendor)).date()
    return today + timedelta(days=PRICE_NOTICE_DAYS + 1)


def price_change_check(
    *, subscription: Subscription, amount: Decimal, effective_on: date, now: datetime | None = None
) -> None:
    """Raise PriceChangeInvalid unless the change can be announced: an
    increase, on a subscription that charges, at least 7 days ahead."""
    if subscription.status not in CHARGING or subscription.cancel_at_period_end:
        raise PriceChangeInvalid(
            "subscription", _("This subscription is ending: there is no price to change.")
        )
    if amount <= subscription.amount:
        raise PriceChangeInvalid(
            "amount",
            _("The new amount must be higher than the current one (%(amount)s).")
            % {"amount": subscription.amount},
        )
    earliest = earliest_effective_on(subscription.vendor, now)
    if effective_on < earliest:
        raise PriceChangeInvalid(
            "effective_on",
            _("Customers must be told at least 7 days ahead: choose %(date)s or later.")
            % {"date": local_date(earliest, subscription.vendor)},
        )
    if PriceChange.objects.filter(subscription=subscription, effective_on=effective_on).exists():
        raise PriceChangeInvalid(
            "effective_on", _("A price change from this date is already announced.")
        )


def price_change_announce(
    *,
    subscription: Subscription,
    amount: Decimal,
    effective_on: date,
    user=None,
    now: datetime | None = None,
) -> PriceChange:
    """Store the change and record its reminder; the email goes when the
    transaction commits."""
    vendor = subscription.vendor
    price_change_check(subscription=subscription, amount=amount, effective_on=effective_on, now=now)
    effective_at = datetime.combine(effective_on, time.min, tzinfo=vendor_zone(vendor))
    with transaction.atomic():
        try:
            with transaction.atomic():
                change = PriceChange.objects.create(
                    vendor=vendor,
                    subscription=subscription,
                    old_amount=subscription.amount,
                    amount=amount,
                    currency=subscription.currency,
                    effective_on=effective_on,
                    effective_at=effective_at,
                    created_by=user,
                )
        except IntegrityError:
            raise PriceChangeInvalid(
                "effective_on", _("A price change from this date is already announced.")
            ) from None
        audit_record(
            vendor=vendor,
            action="subscription.price_change_announced",
            actor=AuditEvent.Actor.STAFF,
            user=user,
            customer=subscription.customer,
            subscription=subscription,
            details={
                "amount": str(amount),
                "old_amount": str(change.old_amount),
                "currency": change.currency,
                "effective_on": effective_on.isoformat(),
            },
        )
        if vendor.remind_price_increase:
            _reminder_record(change)
    return change


def price_increase_reminders_record(*, now: datetime | None = None) -> int:
    """The daily task's share: a reminder for every announced change not
    applied yet that has none. Returns how many were new."""
    now = now or timezone.now()
    changes = PriceChange.objects.select_related("vendor", "subscription").filter(
        vendor__remind_price_increase=True,
        effective_at__gt=now,
        subscription__status__in=CHARGING,
        subscription__cancel_at_period_end=False,
    )
    created = 0
    for change in changes:
        created += _reminder_record(change)
    return created


def _reminder_record(change: PriceChange) -> int:
    from .tasks import reminder_send_task

    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                vendor=change.vendor,
                subscription=change.subscription,
                kind=Reminder.Kind.PRICE_INCREASE,
                event_at=change.effective_at,
                amount=change.amount,
                currency=change.currency,
            )
            task_after_commit(reminder_send_task, reminder.pk, robust=True)
    except IntegrityError:
        return 0  # reminded already (at the announcement, or a run at the same time)
    return 1
