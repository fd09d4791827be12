"""Order.withdrawal_waived: the customer waived the EU withdrawal right at
checkout (rights/withdrawals.py reads it).

On SQLite a new NOT NULL column rebuilds billing_order, which the
order-number triggers of 0006 name: they are dropped before the rebuild and
made again after it (PostgreSQL adds the column in place and keeps them).
"""

import importlib

from django.db import migrations, models

_triggers = importlib.import_module("billing.migrations.0006_payment_order_number")


def drop_on_sqlite(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _triggers.drop_triggers(apps, schema_editor)


def create_on_sqlite(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _triggers.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_customer_language"),
    ]

    operations = [
        migrations.RunPython(drop_on_sqlite, create_on_sqlite),
        migrations.AddField(
            model_name="order",
            name="withdrawal_waived",
            field=models.BooleanField(
                db_default=False, default=False, verbose_name="withdrawal right waived"
            ),
        ),
        migrations.RunPython(create_on_sqlite, drop_on_sqlite),
    ]
