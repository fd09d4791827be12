"""The triggers that keep denormalised columns exist after migrating.

On SQLite a migration that rebuilds billing_payment (adding a column with a
default does) drops the table's triggers without a word; this catches the
next one that does.
"""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# Per database: the triggers that must be there (migrations 0005 and 0006).
EXPECTED = {
    "postgresql": {
        "billing_payment_count_insert_delete",
        "billing_payment_count_move",
        "billing_payment_order_number_fill",
        "billing_order_number_follow",
    },
    "sqlite": {
        "billing_payment_count_insert",
        "billing_payment_count_delete",
        "billing_payment_count_move",
        "billing_payment_order_number_insert",
        "billing_payment_order_number_update",
        "billing_order_number_follow",
    },
}


def test_every_trigger_is_in_place():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        found = {name for (name,) in cursor.fetchall()}
    assert EXPECTED[connection.vendor] <= found
