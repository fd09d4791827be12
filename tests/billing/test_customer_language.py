"""Customer.language: stored by one UPDATE of its column, "" by default in
the database itself (rows written outside the ORM, as the benchmark's COPY
does, get it too)."""

from django.db import connection
from django.utils import timezone

from billing.models import Customer
from billing.services import customer_language_set


def test_a_row_written_without_the_column_gets_no_language(vendor):
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_customer (vendor_id, email, name, address_line1, address_line2,"
            " city, postal_code, state, country, stripe_customer_id, paypal_payer_id,"
            " created_at, updated_at) VALUES (%s, %s, '', '', '', '', '', '', '', '', '', %s, %s)",
            [vendor.pk, "raw@example.com", now, now],
        )
    assert Customer.objects.get(email="raw@example.com").language == ""


def test_the_choice_is_stored_on_that_customer_only(alice, bob):
    customer_language_set(customer=alice, language="de")
    assert alice.language == "de"
    assert Customer.objects.get(pk=alice.pk).language == "de"
    assert Customer.objects.get(pk=bob.pk).language == ""


def test_storing_the_choice_keeps_the_payment_count(alice):
    from tests.factories import PaymentFactory

    PaymentFactory.create_batch(2, order__customer=alice)
    stale = Customer.objects.get(pk=alice.pk)
    PaymentFactory(order__customer=alice)
    customer_language_set(customer=stale, language="fr")
    assert Customer.objects.get(pk=alice.pk).payment_count == 3
