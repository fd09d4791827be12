"""Customer.payment_count: kept by the database, whatever writes the payments."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Customer, Payment
from billing.selectors import PaymentHistoryPaginator, payment_count
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, payments_bulk

pytestmark = pytest.mark.django_db


def stored_count(customer: Customer) -> int:
    return Customer.objects.values_list("payment_count", flat=True).get(pk=customer.pk)


def test_it_counts_payments_however_they_are_inserted(alice):
    PaymentFactory(order__customer=alice)
    order = OrderFactory(customer=alice)
    payments_bulk(order, 3, amount=Decimal("5"))
    with connection.cursor() as cursor:  # as a bulk load or another program would
        cursor.execute(
            "INSERT INTO billing_payment (vendor_id, customer_id, order_id, amount, currency,"
            " status, created_at, failure_message, processor, processor_ref, card_brand,"
            " card_last4, amount_refunded) VALUES (%s, %s, %s, 1, 'USD', 'failed', %s, '',"
            " 'stripe', '', '', '', 0)",
            [alice.vendor_id, alice.pk, order.pk, timezone.now()],
        )
    assert stored_count(alice) == 5
    assert stored_count(CustomerFactory(vendor=alice.vendor)) == 0


def test_it_counts_down_when_payments_go_with_their_order(alice):
    # Without invoices: an invoiced payment is protected from deletion.
    kept = PaymentFactory(order__customer=alice, invoice=False)
    gone = PaymentFactory(order__customer=alice, invoice=False)
    PaymentFactory(order=gone.order, invoice=False)
    assert stored_count(alice) == 3
    gone.order.delete()  # a cascade: Payment.delete() is never called
    assert stored_count(alice) == 1
    kept.delete()
    assert stored_count(alice) == 0


def test_a_payment_moved_to_another_customer_moves_its_count(alice, bob):
    payment = PaymentFactory(order__customer=alice)
    Payment.objects.filter(pk=payment.pk).update(customer=bob)
    assert (stored_count(alice), stored_count(bob)) == (0, 1)
    Payment.objects.filter(pk=payment.pk).update(status="refunded")  # not a move
    assert (stored_count(alice), stored_count(bob)) == (0, 1)


def test_saving_a_customer_loaded_before_a_payment_keeps_the_count(alice):
    stale = Customer.objects.get(pk=alice.pk)
    PaymentFactory(order__customer=alice)
    stale.name = "Alice Liddell"
    stale.save()
    assert stored_count(alice) == 1
    assert Customer.objects.get(pk=alice.pk).name == "Alice Liddell"


def test_the_history_reads_the_count_from_the_customer_without_a_query(
    alice, django_assert_num_queries
):
    for _ in range(3):
        PaymentFactory(order__customer=alice, invoice=False)
    alice.refresh_from_db()
    with django_assert_num_queries(0):
        assert payment_count(customer=alice) == 3
        assert PaymentHistoryPaginator(customer=alice, sort="-date", per_page=2).num_pages == 2


def test_the_count_never_goes_below_zero_at_the_database(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=alice.pk).update(payment_count=-1)
