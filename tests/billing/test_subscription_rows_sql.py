"""The subscriptions page's fixed SQL (PostgreSQL) reads what the ORM form reads."""

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
