"""Reads for the subscriptions page: the signed-in customer's subscriptions,
each with the failed charges still waiting to be resolved and what the
customer may do about it.

Two queries whatever the customer's history, on every database: the
subscriptions, each with the time of its last settled payment, then their
unresolved failed payments (capped per subscription).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404

from .cancellation import subscription_can_cancel, subscription_can_undo
from .cards import card_update_place, subscription_owes
from .models import Customer, Payment, Subscription

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


# The newest failures of one subscription, after its last settled payment
# when it has one: a LIMIT over the index payment_subscription_failed, in
# its order. In a subquery of its own because SQLite refuses a LIMIT on a
# member of a UNION; the alias because PostgreSQL wants one.
FAILURES_OF_ONE = (
    "SELECT * FROM (SELECT * FROM billing_payment WHERE subscription_id = %s AND status = %s{since}"
    " ORDER BY created_at DESC, id DESC LIMIT %s) AS failures_{n}"
)


# `subscriptions` are annotated with last_settled_at (subscription_rows).
def _unresolved_failures(subscriptions: list[Any]) -> dict[int, list[Payment]]:
    """Failed payments newer than each subscription's last successful one, the
    newest FAILED_PAYMENTS_SHOWN of each: an old failure that a later payment
    settled needs nothing from the customer.

    One query for all the subscriptions (FAILURES_OF_ONE each, joined with
    UNION ALL), as Payment.objects.raw(): the same SQL on PostgreSQL and
    SQLite. This page's one special path: the same query built by the ORM
    (a sliced queryset per subscription, wrapped for SQLite, in a union)
    cost 2.1 ms of Python for a customer with two subscriptions, against
    0.3 ms for the whole read before, and took the page from about 4 to 10
    ms of CPU per request (measured in-process on the 1M-payment benchmark
    dataset, 2026-12-07), below the budget's 0.08 of /healthz. An OR of the
    bounds with a window function instead read and sorted every failure
    since the last settled payment (all 2,500 of the long-failing renewal
    in tests/billing/test_read_path.py); the earlier form computed a
    latest-paid subquery for every failed payment the subscription ever had
    (15 requests/s at 50k payments).
    """
    found: dict[int, list[Payment]] = {s.pk: [] for s in subscriptions}
    if not subscriptions:
        return found
    adapt = connection.ops.adapt_datetimefield_value
    parts, params = [], []
    for n, subscription in enumerate(subscriptions):
        params += [subscription.pk, Payment.Status.FAILED.value]
        since = ""
        if subscription.last_settled_at is not None:
            since = " AND created_at > %s"
            params.append(adapt(subscription.last_settled_at))
        params.append(FAILED_PAYMENTS_SHOWN)
        parts.append(FAILURES_OF_ONE.format(since=since, n=n))
    sql = " UNION ALL ".join(parts) + " ORDER BY subscription_id, created_at DESC, id DESC"
    for payment in Payment.objects.raw(sql, params):
        found[cast(int, payment.subscription_id)].append(payment)
    return found


def _subscriptions_with_failures(
    *, customer: Customer
) -> tuple[list[Subscription], dict[int, list[Payment]]]:
    """The customer's subscriptions (newest first, each with last_settled_at)
    and their unresolved failures: two queries, whatever the history."""
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
