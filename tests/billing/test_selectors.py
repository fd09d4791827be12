from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing.models import Subscription
from billing.selectors import (
    PURCHASE_SORTS,
    customer_email_taken,
    payment_history,
    payment_recent,
    purchase_sort_parse,
    subscription_list_with_card,
)
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, SubscriptionFactory


def test_purchase_sort_parse_falls_back_to_newest_first():
    assert purchase_sort_parse(value="price") == "price"
    assert purchase_sort_parse(value="-status") == "-status"
    for bad in (None, "", "id", "-created_at", "price;drop", "PRICE"):
        assert purchase_sort_parse(value=bad) == "-date"


def test_every_sort_ends_with_the_id_as_tie_breaker():
    for ordering in PURCHASE_SORTS.values():
        assert ordering[-1] in ("id", "-id")


def test_payment_history_is_the_customers_own_at_their_vendor(alice, bob, acme_alice):
    mine = PaymentFactory(order__customer=alice)
    PaymentFactory(order__customer=bob)
    PaymentFactory(order__customer=acme_alice)
    assert list(payment_history(customer=alice)) == [mine]


def test_payment_history_holds_failed_refunded_and_zero_but_no_trial(alice):
    paid = PaymentFactory(order__customer=alice)
    failed = PaymentFactory(order__customer=alice, status="failed")
    refunded = PaymentFactory(order__customer=alice, status="refunded")
    free = PaymentFactory(order__customer=alice, amount=Decimal("0"))
    trial = SubscriptionFactory(customer=alice, status=Subscription.Status.TRIALING)
    OrderFactory(customer=alice, subscription=trial, status="pending")
    assert set(payment_history(customer=alice)) == {paid, failed, refunded, free}


def test_payment_history_with_equal_values_is_ordered_by_id(alice):
    moment = timezone.now()
    payments = [
        PaymentFactory(order__customer=alice, created_at=moment, amount=Decimal("5"))
        for _ in range(4)
    ]
    ids = [p.pk for p in payments]
    assert [p.pk for p in payment_history(customer=alice, sort="-date")] == ids[::-1]
    assert [p.pk for p in payment_history(customer=alice, sort="price")] == ids
    assert [p.pk for p in payment_history(customer=alice, sort="-price")] == ids[::-1]


def test_payment_history_reads_order_and_invoice_in_the_same_query(
    alice, django_assert_num_queries
):
    for _ in range(3):
        PaymentFactory(order__customer=alice)
    PaymentFactory(order__customer=alice, status="failed")
    with django_assert_num_queries(1):
        rows = [
            (p.order.number, p.invoice.number if p.status == "paid" else None)
            for p in payment_history(customer=alice)
        ]
    assert len(rows) == 4


def test_payment_recent_is_the_newest_few(alice):
    now = timezone.now()
    payments = [
        PaymentFactory(order__customer=alice, created_at=now - timedelta(days=i)) for i in range(5)
    ]
    assert payment_recent(customer=alice) == payments[:3]


def test_subscription_list_with_card_is_active_and_past_due_only(alice, bob):
    active = SubscriptionFactory(customer=alice, status=Subscription.Status.ACTIVE)
    past_due = SubscriptionFactory(customer=alice, status=Subscription.Status.PAST_DUE)
    for status in ("trialing", "paused", "canceled", "incomplete"):
        SubscriptionFactory(customer=alice, status=status)
    SubscriptionFactory(customer=bob)
    assert set(subscription_list_with_card(customer=alice)) == {active, past_due}


def test_customer_email_taken_within_the_vendor_in_any_case(alice, bob, other_vendor):
    CustomerFactory(vendor=other_vendor, email="elsewhere@example.com")
    assert customer_email_taken(customer=alice, email="BOB@Example.com")
    assert not customer_email_taken(customer=alice, email="ALICE@example.com")  # herself
    assert not customer_email_taken(customer=alice, email="elsewhere@example.com")
    assert not customer_email_taken(customer=alice, email="new@example.com")
