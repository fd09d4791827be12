"""The payment count's triggers (billing/triggers.py): in place after
migrating, and made again by the next `migrate` when something dropped them.

On SQLite a migration that rebuilds billing_payment (adding a column with a
default does) drops the table's triggers without a word; the post_migrate
step puts them back and counts again what went by uncounted.
"""

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import Customer
from billing.triggers import (
    TRIGGER_NAMES,
    payment_count_triggers_ensure,
    payment_count_triggers_missing,
)
from tests.factories import OrderFactory, payments_bulk

pytestmark = pytest.mark.django_db


def stored_count(customer: Customer) -> int:
    return Customer.objects.values_list("payment_count", flat=True).get(pk=customer.pk)


def _trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


def _drop(name: str) -> None:
    on = " ON billing_payment" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}{on}")


def test_the_payment_count_triggers_are_the_only_ones():
    assert _trigger_names() == TRIGGER_NAMES[connection.vendor]
    assert payment_count_triggers_missing(connection) == set()


def test_a_dropped_trigger_comes_back_with_the_next_migrate_and_recounts(alice):
    order = OrderFactory(customer=alice)
    payments_bulk(order, 2)
    insert = sorted(n for n in TRIGGER_NAMES[connection.vendor] if "insert" in n)[0]
    _drop(insert)
    assert payment_count_triggers_missing(connection) == {insert}
    payments_bulk(order, 3)  # uncounted while the trigger is gone
    assert stored_count(alice) == 2

    call_command("migrate", verbosity=0)

    assert payment_count_triggers_missing(connection) == set()
    assert stored_count(alice) == 5  # counted again
    payments_bulk(order, 1)
    assert stored_count(alice) == 6  # and counting


def test_ensuring_triggers_that_are_there_writes_nothing(alice, django_assert_num_queries):
    with django_assert_num_queries(1):  # the list of triggers, nothing else
        assert payment_count_triggers_ensure(connection) == set()
