"""Reminders before a charge (California ARL as amended by AB 2863, New York
GBL 527-a, the card networks' rules for trials):

- a free trial that converts to paid: 7 days before (card networks);
- an annual renewal: 30 days before (California asks for 15 to 45);
- a card that expires before the next payment: 30 days before that payment.

Each is on unless the vendor turned it off. The daily task records each
reminder (one per subscription, kind and event, a unique row) before it is
sent, so running it twice, or two beat processes at once, sends each
reminder once; the email itself is claimed like every other email here.
Each email names the amount and the date and links the cancellation page.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Subscription

from .cancellations import send_claimed
from .models import Reminder

TRIAL_NOTICE = timedelta(days=7)
RENEWAL_NOTICE = timedelta(days=30)
CARD_NOTICE = timedelta(days=30)
CHARGING = (Subscription.Status.ACTIVE, Subscription.Status.TRIALING)


def card_expires_at(subscription: Subscription) -> datetime | None:
    """The first moment the card no longer works (cards run to the end of
    their expiry month), in UTC."""
    month, year = subscription.card_exp_month, subscription.card_exp_year
    if not month or not year or not 1 <= month <= 12:
        return None
    last_day = calendar.monthrange(year, month)[1]
    return datetime(year, month, last_day, tzinfo=UTC) + timedelta(days=1)


def reminders_due(now: datetime) -> list[tuple[Subscription, str, datetime]]:
    """(subscription, kind, event) for every reminder due today. Three
    queries, whatever the number of subscriptions."""
    base = Subscription.objects.select_related("vendor", "customer").filter(
        status__in=CHARGING, cancel_at_period_end=False
    )
    due: list[tuple[Subscription, str, datetime]] = []
    trials = base.filter(
        vendor__remind_trial_end=True,
        status=Subscription.Status.TRIALING,
        trial_end__gt=now,
        trial_end__lte=now + TRIAL_NOTICE,
    )
    due += [(s, Reminder.Kind.TRIAL_END, s.trial_end) for s in trials if s.trial_end]
    renewals = base.filter(
        vendor__remind_annual_renewal=True,
        status=Subscription.Status.ACTIVE,
        interval=Subscription.Interval.YEAR,
        next_payment_at__gt=now,
        next_payment_at__lte=now + RENEWAL_NOTICE,
    )
    due += [
        (s, Reminder.Kind.ANNUAL_RENEWAL, s.next_payment_at) for s in renewals if s.next_payment_at
    ]
    cards = base.filter(
        Q(card_exp_year__isnull=False) & Q(card_exp_month__isnull=False),
        vendor__remind_card_expiry=True,
        next_payment_at__gt=now,
        next_payment_at__lte=now + CARD_NOTICE,
    )
    for subscription in cards:
        expires = card_expires_at(subscription)
        payment_at = subscription.next_payment_at
        if expires is not None and payment_at is not None and expires <= payment_at:
            due.append((subscription, Reminder.Kind.CARD_EXPIRY, payment_at))
    return due


def reminders_record(*, now: datetime | None = None) -> int:
    """Record the reminders due now and queue their emails. Returns how many
    were new; those recorded by an earlier run are left alone."""
    from .tasks import reminder_send_task

    now = now or timezone.now()
    created = 0
    for subscription, kind, event_at in reminders_due(now):
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    vendor=subscription.vendor,
                    subscription=subscription,
                    kind=kind,
                    event_at=event_at,
                    amount=subscription.amount,
                    currency=subscription.currency,
                )
                transaction.on_commit(partial(reminder_send_task.delay, reminder.pk))
        except IntegrityError:
            continue  # reminded already (an earlier run, or one running now)
        created += 1
    return created


def reminder_send(*, reminder: Reminder) -> None:
    subscription = reminder.subscription
    send_claimed(
        reminder,
        "sent_at",
        "send_claimed_until",
        vendor=reminder.vendor,
        to=subscription.customer.email,
        language=subscription.customer.mail_language,
        template=f"reminder_{reminder.kind}",
        context={
            "customer": subscription.customer,
            "subscription": subscription,
            "reminder": reminder,
        },
    )
