"""Payment.order_number: the order's number, kept by the database."""

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Order, Payment
from billing.selectors import payment_history
from tests.factories import OrderFactory, PaymentFactory, payments_bulk

pytestmark = pytest.mark.django_db


def stored(payment: Payment) -> str:
    return Payment.objects.values_list("order_number", flat=True).get(pk=payment.pk)


def test_it_is_filled_however_a_payment_is_written(alice):
    order = OrderFactory(customer=alice, number="NW-1")
    by_factory = PaymentFactory(order=order, invoice=False)
    assert by_factory.order_number == "NW-1"  # on the instance too
    [bulk] = payments_bulk(order, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_payment (vendor_id, customer_id, order_id, order_number, amount,"
            " currency, status, created_at, failure_message, processor, processor_ref,"
            " card_brand, card_last4, amount_refunded) VALUES (%s, %s, %s, 'WRONG', 1, 'USD',"
            " 'failed', %s, '', 'stripe', '', '', '', 0)",
            [alice.vendor_id, alice.pk, order.pk, timezone.now()],
        )
    assert set(Payment.objects.filter(order=order).values_list("order_number", flat=True)) == {
        "NW-1"
    }
    assert stored(by_factory) == stored(bulk) == "NW-1"


def test_it_follows_a_corrected_order_number(alice):
    payment = PaymentFactory(order__customer=alice, order__number="NW-1", invoice=False)
    other = PaymentFactory(order__customer=alice, order__number="NW-2", invoice=False)
    Order.objects.filter(pk=payment.order_id).update(number="NW-1A")
    assert (stored(payment), stored(other)) == ("NW-1A", "NW-2")


def test_it_follows_a_payment_moved_to_another_order_and_ignores_stale_copies(alice):
    payment = PaymentFactory(order__customer=alice, order__number="NW-1", invoice=False)
    second = OrderFactory(customer=alice, number="NW-2")
    Payment.objects.filter(pk=payment.pk).update(order=second)
    assert stored(payment) == "NW-2"
    payment.refresh_from_db()
    payment.order_number = "NW-1"  # an old copy, saved with the rest
    payment.save()
    assert stored(payment) == "NW-2"


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
