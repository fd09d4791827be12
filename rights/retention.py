"""How long the consumer-rights record is kept. California's automatic
renewal law asks for at least three years; after that the daily purge
deletes cancellations, withdrawals, cancellation requests, reminders and
price-change announcements.
A declaration still waiting for the vendor (received or open) is kept until
someone handles it, however old: deleting it would lose the customer's
cancellation."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .models import CancellationDeclaration, PriceChange, Reminder, WithdrawalDeclaration

RETENTION_YEARS = 3


def retention_cutoff(now: datetime) -> datetime:
    """The same moment RETENTION_YEARS years before `now` (29 February falls
    back to the 28th): anything created before it has been kept long enough."""
    year = now.year - RETENTION_YEARS
    try:
        return now.replace(year=year)
    except ValueError:
        return now.replace(year=year, day=28)


def rights_records_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete the records past their retention. Safe to run at any time, twice."""
    cutoff = retention_cutoff(now or timezone.now())
    waiting = ["received", "open"]  # the same two values in both models
    cancellations, _ = (
        CancellationDeclaration.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=waiting)
        .delete()
    )
    withdrawals, _ = (
        WithdrawalDeclaration.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=waiting)
        .delete()
    )
    reminders, _ = Reminder.objects.filter(created_at__lt=cutoff).delete()
    # An announcement is kept while it may still apply, then three years.
    price_changes, _ = PriceChange.objects.filter(
        created_at__lt=cutoff, effective_at__lt=cutoff
    ).delete()
    return {
        "cancellations": cancellations,
        "withdrawals": withdrawals,
        "reminders": reminders,
        "price_changes": price_changes,
    }
