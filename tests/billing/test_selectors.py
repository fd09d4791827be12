from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Payment, Subscription
from billing.selectors import (
    PURCHASE_SORTS,
    PaymentHistoryPaginator,
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
    assert [row.id for row in payment_recent(customer=alice)] == [p.pk for p in payments[:3]]


def test_payment_recent_reads_the_order_in_the_same_query(alice, django_assert_num_queries):
    PaymentFactory.create_batch(3, order__customer=alice)
    with django_assert_num_queries(1):
        assert all(row.order_product for row in payment_recent(customer=alice))


def test_subscription_list_with_card_is_what_charges_and_says_where(alice, bob):
    active = SubscriptionFactory(customer=alice, status=Subscription.Status.ACTIVE)
    past_due = SubscriptionFactory(customer=alice, status=Subscription.Status.PAST_DUE)
    trial = SubscriptionFactory(customer=alice, status=Subscription.Status.TRIALING)
    paypal = SubscriptionFactory(customer=alice, processor="paypal", card_last4="")
    # Its first payment failed and Stripe waits for it: it takes a card (issue 21).
    incomplete = SubscriptionFactory(customer=alice, status=Subscription.Status.INCOMPLETE)
    for status in ("paused", "canceled"):
        SubscriptionFactory(customer=alice, status=status)
    SubscriptionFactory(customer=bob)
    found = {s: s.card_place for s in subscription_list_with_card(customer=alice)}
    assert found == {
        active: "hub",
        past_due: "hub",
        trial: "hub",
        incomplete: "hub",
        paypal: "paypal",
    }


def test_customer_email_taken_within_the_vendor_in_any_case(alice, bob, other_vendor):
    CustomerFactory(vendor=other_vendor, email="elsewhere@example.com")
    assert customer_email_taken(customer=alice, email="BOB@Example.com")
    assert not customer_email_taken(customer=alice, email="ALICE@example.com")  # herself
    assert not customer_email_taken(customer=alice, email="elsewhere@example.com")
    assert not customer_email_taken(customer=alice, email="new@example.com")


def _mixed_history(customer, count: int) -> None:
    """`count` payments with many equal dates, amounts and statuses, over a
    few orders, so every sort has ties that only the id breaks."""
    now = timezone.now()
    orders = [OrderFactory(customer=customer, number=f"ORD-{i:02d}") for i in range(7)]
    Payment.objects.bulk_create(
        Payment(
            vendor=customer.vendor,
            customer=customer,
            order=orders[i % 7],
            order_number=orders[i % 7].number,  # bulk_create skips Payment.save()
            amount=i % 4,
            currency="USD",
            status=("paid", "failed", "refunded")[i % 3],
            created_at=now - timedelta(days=i % 5),
            processor="stripe",
        )
        for i in range(count)
    )
    customer.refresh_from_db(fields=["payment_count"])  # counted by the database


@pytest.mark.parametrize("sort", list(PURCHASE_SORTS))
def test_history_pages_match_the_plain_sorted_history_from_both_ends(alice, sort):
    """Pages near the end are read backwards and turned round: every page,
    in the first half or the second, holds exactly the rows that slicing
    the sorted history would give, in the same order."""
    _mixed_history(alice, 103)
    expected = [p.pk for p in payment_history(customer=alice, sort=sort)]
    paginator = PaymentHistoryPaginator(customer=alice, sort=sort, per_page=10)
    assert paginator.count == 103
    assert paginator.num_pages == 11
    seen = []
    for number in paginator.page_range:
        seen += [row.id for row in paginator.page(number)]
    assert seen == expected


@pytest.mark.parametrize("sort", ["-date", "order", "-status"])
def test_the_last_page_costs_the_queries_the_first_does(alice, sort, django_assert_num_queries):
    """The page's rows with their ids as a subquery: one query on any page
    (the count comes with the customer's row)."""
    _mixed_history(alice, 60)
    paginator = PaymentHistoryPaginator(customer=alice, sort=sort, per_page=25)
    with django_assert_num_queries(1):
        first = list(paginator.page(1))
        assert all(row.order_number for row in first)  # selected with the rows
    with django_assert_num_queries(1):
        last = list(paginator.page(3))
    assert len(first) == 25 and len(last) == 10


def test_an_empty_history_costs_no_query(alice, django_assert_num_queries):
    paginator = PaymentHistoryPaginator(customer=alice, sort="-date", per_page=25)
    with django_assert_num_queries(0):
        assert list(paginator.page(1)) == []


def test_history_rows_leave_the_invoice_snapshot_unread(alice):
    PaymentFactory(order__customer=alice)
    sql = str(payment_history(customer=alice).query)
    assert '"billing_invoice"."number"' in sql
    for column in ("seller", "buyer", "lines"):
        assert f'"billing_invoice"."{column}"' not in sql


def test_history_rows_name_their_status(alice):
    PaymentFactory(order__customer=alice, status="partially_refunded", invoice=False)
    (row,) = payment_recent(customer=alice)
    assert row.status_label == "Partially refunded"
