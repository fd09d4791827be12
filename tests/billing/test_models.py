"""Customer emails: stored normalised, unique per vendor whatever their case,
both through the model and at the database level."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.models import Customer, Payment, Subscription, normalize_email
from billing.services import customer_get_or_create
from tests.factories import CustomerFactory


def test_it_stores_the_email_trimmed_and_lowercase(vendor):
    customer = CustomerFactory(vendor=vendor, email="  Alice.Adams@Example.COM ")
    customer.refresh_from_db()
    assert customer.email == "alice.adams@example.com"
    assert normalize_email(" X@Y.Z ") == "x@y.z"


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"])
def test_it_rejects_a_duplicate_email_in_any_case_through_save(alice, email):
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(vendor=alice.vendor, email=email)
    assert Customer.objects.filter(vendor=alice.vendor).count() == 1


def test_it_rejects_a_duplicate_in_full_clean_so_forms_show_an_error(alice):
    duplicate = Customer(vendor=alice.vendor, email="ALICE@example.com", name="Other")
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "customer_email_unique_per_vendor" in str(excinfo.value.message_dict["__all__"])


def test_the_database_rejects_a_differently_cased_insert_that_bypasses_save(alice):
    # bulk_create skips save(), so nothing normalises the email first: only
    # the functional unique index on (vendor, lower(email)) stands in the way.
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.bulk_create([Customer(vendor=alice.vendor, email="ALICE@Example.Com")])
    assert Customer.objects.filter(vendor=alice.vendor).count() == 1


def test_the_database_rejects_an_update_to_a_differently_cased_duplicate(alice, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=bob.pk).update(email="Alice@EXAMPLE.com")
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


def test_the_database_rejects_a_raw_sql_duplicate(alice):
    from django.db import connection

    table = Customer._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (vendor_id, email, name, address_line1, address_line2, city,"
            " postal_code, state, country, stripe_customer_id, paypal_payer_id, created_at,"
            " updated_at) VALUES (%s, %s, '', '', '', '', '', '', '', '', '', %s, %s)",
            [alice.vendor_id, "ALICE@EXAMPLE.COM", alice.created_at, alice.created_at],
        )


def test_the_same_email_is_fine_at_another_vendor(alice, other_vendor):
    acme_alice = Customer.objects.create(vendor=other_vendor, email="Alice@Example.com")
    acme_alice.full_clean()
    assert acme_alice.pk != alice.pk
    assert Customer.objects.filter(email="alice@example.com").count() == 2


def test_get_or_create_finds_the_customer_whatever_the_case(alice):
    customer, created = customer_get_or_create(vendor=alice.vendor, email=" ALICE@example.COM")
    assert (customer, created) == (alice, False)


@pytest.mark.parametrize("model", [Subscription, Payment])
def test_status_label_is_get_status_display_in_every_language(model):
    # The hub's pages show status_label: the same words as Django's
    # get_status_display(), without its dict of every choice per call.
    from django.utils import translation

    for language in ("en", "de", "fr", "es"):
        with translation.override(language):
            for status in [*model.Status.values, "something-new"]:
                row = model(status=status)
                assert row.status_label == row.get_status_display()
