"""The payments migration runs on a database that already holds data, on
PostgreSQL (the partial unique constraints are built over existing rows)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("billing", "0001_initial"), ("vendors", "0001_initial")]
AFTER = [
    ("billing", "0002_processor_ids_and_cancellation"),
    ("vendors", "0002_webhook_rolling_and_paypal_environment"),
]


@pytest.mark.django_db(transaction=True)
def test_it_migrates_a_populated_database(postgres):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    vendor = apps.get_model("vendors", "Vendor").objects.create(slug="oldshop", name="Old Shop")
    Customer = apps.get_model("billing", "Customer")
    customers = [
        Customer.objects.create(vendor=vendor, email=f"c{i}@example.com", stripe_customer_id=sid)
        for i, sid in enumerate(["cus_1", "cus_2", "", ""])
    ]
    Order = apps.get_model("billing", "Order")
    for i, ref in enumerate(["ch_1", "", ""]):
        Order.objects.create(
            vendor=vendor,
            customer=customers[0],
            number=f"OLD-{i}",
            product="Thing",
            amount="5.00",
            currency="USD",
            status="paid",
            processor="stripe",
            processor_ref=ref,
            created_at=datetime(2025, 1, 1, tzinfo=UTC),
        )
    apps.get_model("billing", "Subscription").objects.create(
        vendor=vendor,
        customer=customers[1],
        product="Plan",
        status="active",
        amount="9.00",
        currency="USD",
        processor="stripe",
        processor_id="sub_1",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    subscription = apps.get_model("billing", "Subscription").objects.get()
    assert subscription.cancel_requested_at is None and subscription.payment_method_id == ""
    assert apps.get_model("billing", "Customer").objects.count() == 4
    assert apps.get_model("vendors", "Vendor").objects.get().paypal_environment == "sandbox"

    # Back to the latest state for the rest of the run.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
