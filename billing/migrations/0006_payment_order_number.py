"""Payment.order_number, a copy of its order's number kept by triggers.

Triggers, as for Customer.payment_count (0005): payments are written by many
paths (bulk ones and COPY included), and an order's number may be corrected
in the admin; the copy follows in the same statement either way.
"""

import importlib

from django.db import migrations, models

# SQLite adds this column by rebuilding billing_payment, which drops the
# table's triggers, 0005's payment counting among them: they are made again.
PAYMENT_COUNT = importlib.import_module("billing.migrations.0005_customer_payment_count")

POSTGRES_CREATE = [
    """
    CREATE FUNCTION billing_payment_order_number_fill() RETURNS trigger AS $$
    BEGIN
        NEW.order_number := (SELECT number FROM billing_order WHERE id = NEW.order_id);
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    # Django's save() lists every column, order_id included, so a payment
    # saved from an instance holding an old copy is corrected here too.
    """
    CREATE TRIGGER billing_payment_order_number_fill
    BEFORE INSERT OR UPDATE OF order_id, order_number ON billing_payment
    FOR EACH ROW EXECUTE FUNCTION billing_payment_order_number_fill()
    """,
    """
    CREATE FUNCTION billing_order_number_follow() RETURNS trigger AS $$
    BEGIN
        UPDATE billing_payment SET order_number = NEW.number WHERE order_id = NEW.id;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER billing_order_number_follow
    AFTER UPDATE OF number ON billing_order
    FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number)
    EXECUTE FUNCTION billing_order_number_follow()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS billing_order_number_follow ON billing_order",
    "DROP FUNCTION IF EXISTS billing_order_number_follow()",
    "DROP TRIGGER IF EXISTS billing_payment_order_number_fill ON billing_payment",
    "DROP FUNCTION IF EXISTS billing_payment_order_number_fill()",
]
SQLITE_CREATE = [
    """
    CREATE TRIGGER billing_payment_order_number_insert AFTER INSERT ON billing_payment
    BEGIN
        UPDATE billing_payment SET order_number = (SELECT number FROM billing_order WHERE billing_order.id = NEW.order_id) WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER billing_payment_order_number_update
    AFTER UPDATE OF order_id, order_number ON billing_payment
    WHEN NEW.order_number IS NOT (SELECT number FROM billing_order WHERE billing_order.id = NEW.order_id)
    BEGIN
        UPDATE billing_payment SET order_number = (SELECT number FROM billing_order WHERE billing_order.id = NEW.order_id) WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER billing_order_number_follow AFTER UPDATE OF number ON billing_order
    WHEN OLD.number IS NOT NEW.number
    BEGIN
        UPDATE billing_payment SET order_number = NEW.number WHERE order_id = NEW.id;
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_payment_order_number_insert",
    "DROP TRIGGER IF EXISTS billing_payment_order_number_update",
    "DROP TRIGGER IF EXISTS billing_order_number_follow",
]
BACKFILL = """
    UPDATE billing_payment SET order_number = (
        SELECT number FROM billing_order WHERE billing_order.id = billing_payment.order_id
    )
"""


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    raise NotImplementedError(f"Payment.order_number has no triggers for {vendor}")


def create_triggers(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No payment or order number may be written between the copy and
            # the triggers.
            cursor.execute("LOCK TABLE billing_order, billing_payment IN SHARE ROW EXCLUSIVE MODE")
        for statement in _statements(connection.vendor, create=True):
            cursor.execute(statement)
        if connection.vendor == "sqlite":
            for statement in PAYMENT_COUNT.SQLITE_DROP + PAYMENT_COUNT.SQLITE_CREATE:
                cursor.execute(statement)
            cursor.execute(PAYMENT_COUNT.BACKFILL)
        cursor.execute(BACKFILL)


def drop_triggers(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, create=False):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_customer_payment_count"),
        ("vendors", "0004_vendor_country"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="order_number",
            field=models.CharField(db_default="", default="", editable=False, max_length=40),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["customer", "order_number", "id"], name="payment_customer_order"
            ),
        ),
        # It served the Order ID sort by walking a customer's orders; the
        # payment's own index does now.
        migrations.RemoveIndex(model_name="order", name="order_customer_number"),
    ]
