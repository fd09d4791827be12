"""Reads for the subscriptions page: the signed-in customer's subscriptions,
each with the failed charges still waiting to be resolved and what the
customer may do about it.

One query whatever the customer's history on PostgreSQL: the subscriptions,
each with the time of its last settled payment and its unresolved failed
payments (capped per subscription), as fixed SQL (see SUBSCRIPTIONS_SQL).
Elsewhere the ORM reads the same in two queries.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from .cancellation import subscription_can_cancel, subscription_can_undo
from .cards import card_update_place, subscription_owes
from .models import Customer, Payment, Subscription
from .rows import ModelColumns, Statement

# A subscription with more failed attempts than this since its last successful
# payment shows the newest few: the customer's next step is the same.
FAILED_PAYMENTS_SHOWN = 5

# No next payment is announced for these.
NOT_CHARGING_STATUSES = frozenset({Subscription.Status.CANCELED, Subscription.Status.PAUSED})


@dataclass
class SubscriptionRow:
    """One subscription as the hub shows it. Decisions (which buttons, which
    dates) are made here, not in the template."""

    subscription: Subscription
    failed_payments: list[Payment] = field(default_factory=list)
    can_update_card: bool = False
    # A payment waits (past due, incomplete, or failed and unsettled): "Pay now".
    can_pay: bool = False
    # Where the payment method is changed: "hub" (Stripe card), "paypal", "".
    card_place: str = ""
    can_cancel: bool = False
    can_keep: bool = False
    # The vendor takes cancellations itself (no self-cancel): say how.
    cancel_by_contact: bool = False
    is_trial: bool = False
    ends_at: datetime | None = None
    next_payment_at: datetime | None = None
    next_payment_amount: Decimal | None = None
    has_card: bool = False


# A payment that settles the subscription's earlier failures.
SETTLING_STATUSES = (Payment.Status.PAID, Payment.Status.REFUNDED)


def _last_settled_at():
    """The time of the subscription's latest paid (or since refunded) payment.

    Computed once per subscription, not once per failed payment: with the
    partial index payment_subscription_settled it is one index probe however
    long the history is.
    """
    return Subquery(
        Payment.objects.filter(subscription=OuterRef("pk"), status__in=SETTLING_STATUSES)
        .order_by("-created_at")
        .values("created_at")[:1]
    )


# `subscriptions` are annotated with last_settled_at (subscription_rows).
def _unresolved_failures(subscriptions: list[Any]) -> dict[int, list[Payment]]:
    """Failed payments newer than each subscription's last successful one, the
    newest FAILED_PAYMENTS_SHOWN of each: an old failure that a later payment
    settled needs nothing from the customer.

    One query for all the subscriptions, each bounded below by its own last
    settled payment, so it reads only the failures since then (a processor's
    retry schedule: a handful) through the index payment_subscription_date,
    never the whole history; the earlier form computed a latest-paid
    subquery for every failed payment the subscription ever had (15
    requests/s at 50k payments).
    """
    found: dict[int, list[Payment]] = {s.pk: [] for s in subscriptions}
    if not subscriptions:
        return found
    since = Q()
    for subscription in subscriptions:
        if subscription.last_settled_at is None:
            since |= Q(subscription_id=subscription.pk)
        else:
            since |= Q(subscription_id=subscription.pk, created_at__gt=subscription.last_settled_at)
    newest_first = [F("created_at").desc(), F("id").desc()]
    failures = (
        Payment.objects.filter(since, status=Payment.Status.FAILED)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("subscription_id")], order_by=newest_first)
        )
        .filter(rank__lte=FAILED_PAYMENTS_SHOWN)
        .order_by("subscription_id", *newest_first)
    )
    for payment in failures:
        found[cast(int, payment.subscription_id)].append(payment)
    return found


# The same reads as one fixed statement, on PostgreSQL. Through the ORM,
# building and compiling them (a subquery annotation, a window function over
# an OR of per-subscription bounds) cost about 3 ms a page, twice what
# PostgreSQL took to answer. LATERAL finds each subscription's last settled
# payment once, and its newest failures after it, over the same indexes as
# the ORM's form; a subscription with no such failure comes once, with the
# payment's columns empty. tests/billing/test_subscription_rows_sql.py checks
# both forms agree.
SUBSCRIPTION_COLUMNS = ModelColumns(Subscription, "s")
FAILURE_COLUMNS = ModelColumns(Payment, "failed")
SUBSCRIPTIONS_SQL = Statement(
    """
    SELECT {subscription_columns}, settled.created_at, {failure_columns}
    FROM {subscription} s
    LEFT JOIN LATERAL (
        SELECT created_at FROM {payment}
        WHERE subscription_id = s.id AND status IN ('paid', 'refunded')
        ORDER BY created_at DESC LIMIT 1
    ) settled ON true
    LEFT JOIN LATERAL (
        SELECT p.* FROM {payment} p
        WHERE p.subscription_id = s.id AND p.status = 'failed'
          AND p.created_at > COALESCE(settled.created_at, '-infinity'::timestamptz)
        ORDER BY p.created_at DESC, p.id DESC LIMIT %s
    ) failed ON true
    WHERE s.vendor_id = %s AND s.customer_id = %s
    ORDER BY s.created_at DESC, s.id DESC, failed.created_at DESC, failed.id DESC
    """,
    subscription_columns=SUBSCRIPTION_COLUMNS,
    failure_columns=FAILURE_COLUMNS,
    subscription=Subscription,
    payment=Payment,
)
# The failures' bound is an index condition (no OR): the failures after the
# last settled payment, newest first, and nothing older is read.


def _subscriptions_with_failures(
    *, customer: Customer
) -> tuple[list[Subscription], dict[int, list[Payment]]]:
    """The customer's subscriptions (newest first, each with last_settled_at)
    and their unresolved failures: one query on PostgreSQL, two elsewhere,
    whatever the history."""
    if connection.vendor != "postgresql":
        return _subscriptions_with_failures_orm(customer=customer)
    with connection.cursor() as cursor:
        cursor.execute(
            SUBSCRIPTIONS_SQL.sql, [FAILED_PAYMENTS_SHOWN, customer.vendor_id, customer.pk]
        )
        rows = cursor.fetchall()
    subscriptions: list[Subscription] = []
    found: dict[int, list[Payment]] = {}
    subscription_id = SUBSCRIPTION_COLUMNS.attnames.index("id")
    settled_at = len(SUBSCRIPTION_COLUMNS)
    failure_id = settled_at + 1 + FAILURE_COLUMNS.attnames.index("id")
    for row in rows:
        if not subscriptions or subscriptions[-1].pk != row[subscription_id]:
            subscription = SUBSCRIPTION_COLUMNS.build(row[:settled_at])
            subscription.last_settled_at = row[settled_at]  # type: ignore[attr-defined]
            subscriptions.append(subscription)
            found[subscription.pk] = []
        if row[failure_id] is not None:
            payment = FAILURE_COLUMNS.build(row[settled_at + 1 :])
            found[subscriptions[-1].pk].append(payment)
    return subscriptions, found


def _subscriptions_with_failures_orm(
    *, customer: Customer
) -> tuple[list[Subscription], dict[int, list[Payment]]]:
    subscriptions: list[Subscription] = list(
        Subscription.objects.filter(vendor_id=customer.vendor_id, customer=customer)
        .order_by("-created_at", "-id")
        .annotate(last_settled_at=_last_settled_at())
    )
    return subscriptions, _unresolved_failures(subscriptions)


def subscription_rows(*, customer: Customer) -> list[SubscriptionRow]:
    """The customer's subscriptions, newest first, ready to display."""
    vendor = customer.vendor
    subscriptions, failures = _subscriptions_with_failures(customer=customer)
    rows = []
    for subscription in subscriptions:
        subscription.vendor = vendor  # the one vendor: no query per row
        status = subscription.status
        canceled = status == Subscription.Status.CANCELED
        ending = subscription.cancel_at_period_end and not canceled
        charging = not canceled and not ending and status not in NOT_CHARGING_STATUSES
        is_trial = status == Subscription.Status.TRIALING
        # A trial's first charge comes when the trial ends.
        next_at = (
            (subscription.trial_end or subscription.next_payment_at)
            if is_trial
            else subscription.next_payment_at
        )
        rows.append(
            SubscriptionRow(
                subscription=subscription,
                failed_payments=failures[subscription.pk],
                can_update_card=bool(card_update_place(subscription)),
                can_pay=subscription_owes(
                    subscription, failed_payments=bool(failures[subscription.pk])
                ),
                card_place=card_update_place(subscription),
                can_keep=subscription_can_undo(subscription=subscription),
                # Already cancelled, or already set to end: nothing left to cancel.
                can_cancel=subscription_can_cancel(subscription=subscription),
                cancel_by_contact=not vendor.self_cancel and charging,
                is_trial=is_trial,
                ends_at=(subscription.current_period_end or next_at) if ending else None,
                next_payment_at=next_at if charging else None,
                next_payment_amount=subscription.amount if charging else None,
                has_card=bool(subscription.card_last4) and subscription.has_card,
            )
        )
    return rows


def subscription_for_customer(*, customer: Customer, subscription_id: int) -> Subscription:
    """The signed-in customer's subscription with this id, else 404 (never 403:
    another customer's or vendor's subscription simply does not exist here)."""
    return get_object_or_404(
        Subscription.objects.select_related("vendor", "customer"),
        vendor_id=customer.vendor_id,
        customer=customer,
        pk=subscription_id,
    )
