"""Payment.order_number: the order's number, copied by Payment.save() (no
trigger), and onto an order's payments when Order.save() corrects it."""

import pytest
from django.db import connection

from billing.models import Order, Payment
from billing.selectors import payment_history
from tests.factories import OrderFactory, PaymentFactory, payments_bulk

pytestmark = pytest.mark.django_db


def stored(payment: Payment) -> str:
    return Payment.objects.values_list("order_number", flat=True).get(pk=payment.pk)


def test_save_fills_it_from_the_order_in_hand_or_from_the_order_id(
    alice, django_assert_num_queries
):
    order = OrderFactory(customer=alice, number="NW-1")
    by_factory = PaymentFactory(order=order, invoice=False)
    assert by_factory.order_number == stored(by_factory) == "NW-1"
    # Only the order's id in hand: save() reads the number (one query more).
    by_id = Payment(
        vendor=alice.vendor,
        customer=alice,
        order_id=order.pk,
        amount=1,
        currency="USD",
        status="failed",
        created_at=order.created_at,
        processor="stripe",
    )
    with django_assert_num_queries(2):
        by_id.save()
    assert by_id.order_number == stored(by_id) == "NW-1"
    # A bulk path (bulk_create, COPY) skips save() and carries the number.
    [bulk] = payments_bulk(order, 1)
    assert stored(bulk) == "NW-1"


def test_saving_a_loaded_payment_on_its_order_reads_nothing_more(alice, django_assert_num_queries):
    payment = PaymentFactory(order__customer=alice, order__number="NW-1", invoice=False)
    loaded = Payment.objects.get(pk=payment.pk)
    loaded.status = "refunded"
    with django_assert_num_queries(1):
        loaded.save()
    assert stored(loaded) == "NW-1"


def test_it_follows_a_corrected_order_number(alice):
    """A corrected number (the order's admin page saves the order) reaches the
    order's payments, and no other order's."""
    payment = PaymentFactory(order__customer=alice, order__number="NW-1", invoice=False)
    PaymentFactory(order=payment.order, invoice=False)
    other = PaymentFactory(order__customer=alice, order__number="NW-2", invoice=False)
    order = Order.objects.get(pk=payment.order_id)
    order.number = "NW-1A"
    order.save()
    assert set(order.payments.values_list("order_number", flat=True)) == {"NW-1A"}
    assert stored(other) == "NW-2"


def test_an_order_saved_unchanged_writes_no_payment(alice, django_assert_num_queries):
    payment = PaymentFactory(order__customer=alice, order__number="NW-1", invoice=False)
    order = Order.objects.get(pk=payment.order_id)
    order.product = "Renamed"
    with django_assert_num_queries(1):  # the order's UPDATE alone
        order.save()


def test_it_follows_a_payment_moved_to_another_order_and_ignores_stale_copies(alice):
    payment = PaymentFactory(order__customer=alice, order__number="NW-1", invoice=False)
    second = OrderFactory(customer=alice, number="NW-2")
    third = OrderFactory(customer=alice, number="NW-3")
    payment.order = second
    payment.save()
    assert stored(payment) == "NW-2"
    loaded = Payment.objects.get(pk=payment.pk)
    loaded.order_id = third.pk  # moved by its id
    loaded.save(update_fields=["order"])
    assert stored(loaded) == "NW-3"
    payment.refresh_from_db()
    payment.order  # noqa: B018 -- the order in hand
    payment.order_number = "NW-1"  # an old copy, saved with the rest
    payment.save()
    assert stored(payment) == "NW-3"


def test_the_database_keeps_no_trigger_for_it(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = [name for (name,) in cursor.fetchall()]
    assert not [name for name in names if "order_number" in name], names


def test_the_order_id_sort_reads_the_payments_index_and_stops_after_a_page(postgres, alice):
    """Two orders of many payments each: page 1 must not sort an order's
    payments (it did, with the order's number only on the order)."""
    for number in ("NW-A", "NW-B"):
        payments_bulk(OrderFactory(customer=alice, number=number), 2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_payment")
    for sort in ("order", "-order"):
        plan = payment_history(customer=alice, sort=sort).values("id")[:25].explain()
        assert "payment_customer_order" in plan, plan
        assert "Sort" not in plan, plan
