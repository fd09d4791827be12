"""Payment.order_number is filled by Payment.save() (and follows a corrected
order number through Order.save()): the triggers of 0006 that copied it go.

Only those: Customer.payment_count's triggers stay (billing/triggers.py).
Reversing this migration makes the order number's triggers again and copies
every payment's number from its order.
"""

import importlib

from django.db import migrations

ORDER_NUMBER = importlib.import_module("billing.migrations.0006_payment_order_number")

DROP = {
    "postgresql": ORDER_NUMBER.POSTGRES_DROP,
    "sqlite": ORDER_NUMBER.SQLITE_DROP,
}
CREATE = {
    "postgresql": ORDER_NUMBER.POSTGRES_CREATE,
    "sqlite": ORDER_NUMBER.SQLITE_CREATE,
}


def drop_triggers(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in DROP[connection.vendor]:
            cursor.execute(statement)


def create_triggers(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in CREATE[connection.vendor]:
            cursor.execute(statement)
        cursor.execute(ORDER_NUMBER.BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_order_withdrawal_waived"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers),
    ]
