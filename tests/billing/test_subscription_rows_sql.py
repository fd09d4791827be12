"""The subscriptions page's fixed SQL (PostgreSQL) reads what the ORM form reads."""

from datetime import timedelta

from billing.subscriptions import (
    FAILED_PAYMENTS_SHOWN,
    _subscriptions_with_failures,
    _subscriptions_with_failures_orm,
)
from tests.factories import SubscriptionFactory
from tests.hub.test_subscriptions import with_payments


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _shape(result):
    subscriptions, failures = result
    return (
        [(_fields(s), s.last_settled_at) for s in subscriptions],
        {pk: [_fields(p) for p in payments] for pk, payments in failures.items()},
    )


def test_both_forms_agree_on_every_kind_of_history(postgres, alice, bob):
    never_paid = SubscriptionFactory(customer=alice, status="past_due")
    with_payments(never_paid, "failed", "failed")
    settled = SubscriptionFactory(customer=alice, status="active")
    with_payments(settled, "failed", "paid", "failed")  # the first failure was settled
    many = SubscriptionFactory(customer=alice, status="past_due")
    with_payments(many, "refunded", *["failed"] * (FAILED_PAYMENTS_SHOWN + 3))
    SubscriptionFactory(customer=alice, status="canceled")  # no payments at all
    with_payments(SubscriptionFactory(customer=bob, status="past_due"), "failed")  # not hers

    fixed = _subscriptions_with_failures(customer=alice)
    assert _shape(fixed) == _shape(_subscriptions_with_failures_orm(customer=alice))
    subscriptions, failures = fixed
    assert len(subscriptions) == 4
    assert len(failures[never_paid.pk]) == 2
    assert len(failures[settled.pk]) == 1
    assert len(failures[many.pk]) == FAILED_PAYMENTS_SHOWN
    assert [s.last_settled_at is None for s in subscriptions].count(True) == 2


def test_no_subscriptions_is_one_query(postgres, alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert _subscriptions_with_failures(customer=alice) == ([], {})


def test_subscriptions_and_their_failures_are_one_query(postgres, alice, django_assert_num_queries):
    with_payments(SubscriptionFactory(customer=alice, status="past_due"), "failed", "failed")
    with_payments(SubscriptionFactory(customer=alice, status="active"), "paid")
    with django_assert_num_queries(1):
        subscriptions, failures = _subscriptions_with_failures(customer=alice)
        assert sorted(len(failures[s.pk]) for s in subscriptions) == [0, 2]


def test_the_newest_failures_are_read_from_their_own_index_without_a_sort(postgres, alice):
    """Issue 21: a subscription with thousands of failed payments after its
    last settled one (a long-failing renewal; here they even share their
    timestamps, as imported retries can) finds its newest few in
    payment_subscription_failed, in order, instead of filtering and sorting
    every payment since the last settled one."""
    from django.db import connection
    from django.utils import timezone

    from billing.subscriptions import SUBSCRIPTIONS_SQL
    from tests.factories import OrderFactory, payments_bulk

    sub = SubscriptionFactory(customer=alice, status="past_due")
    order = OrderFactory(customer=alice, subscription=sub)
    payments_bulk(order, 1000, subscription=sub, created_at=timezone.now() - timedelta(days=90))
    payments_bulk(order, 2500, subscription=sub, status="failed", created_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_payment")
        cursor.execute(
            "EXPLAIN " + SUBSCRIPTIONS_SQL.sql, [FAILED_PAYMENTS_SHOWN, alice.vendor_id, alice.pk]
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
    failures = plan.split("Limit", 2)[2]  # the second LATERAL: the failures
    assert "payment_subscription_failed" in failures, plan
    assert "Sort" not in failures, plan
    assert len(_subscriptions_with_failures(customer=alice)[1][sub.pk]) == FAILED_PAYMENTS_SHOWN
