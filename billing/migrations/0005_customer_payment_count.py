"""Customer.payment_count, kept by triggers on billing_payment.

Triggers rather than Python: payments arrive from webhooks, the import, the
admin, the demo seed and the benchmark's COPY, and rows also go away in
cascades (an order, a customer) that never call Payment.delete(). A trigger
counts every one of them in the same transaction as the row itself.
"""

from django.db import migrations, models

POSTGRES_CREATE = [
    """
    CREATE FUNCTION billing_payment_count_keep() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE billing_customer SET payment_count = payment_count + 1
            WHERE id = NEW.customer_id;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE billing_customer SET payment_count = payment_count - 1
            WHERE id = OLD.customer_id;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER billing_payment_count_insert_delete
    AFTER INSERT OR DELETE ON billing_payment
    FOR EACH ROW EXECUTE FUNCTION billing_payment_count_keep()
    """,
    """
    CREATE TRIGGER billing_payment_count_move
    AFTER UPDATE OF customer_id ON billing_payment
    FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id)
    EXECUTE FUNCTION billing_payment_count_keep()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS billing_payment_count_move ON billing_payment",
    "DROP TRIGGER IF EXISTS billing_payment_count_insert_delete ON billing_payment",
    "DROP FUNCTION IF EXISTS billing_payment_count_keep()",
]
SQLITE_CREATE = [
    """
    CREATE TRIGGER billing_payment_count_insert AFTER INSERT ON billing_payment
    BEGIN
        UPDATE billing_customer SET payment_count = payment_count + 1 WHERE id = NEW.customer_id;
    END
    """,
    """
    CREATE TRIGGER billing_payment_count_delete AFTER DELETE ON billing_payment
    BEGIN
        UPDATE billing_customer SET payment_count = payment_count - 1 WHERE id = OLD.customer_id;
    END
    """,
    """
    CREATE TRIGGER billing_payment_count_move AFTER UPDATE OF customer_id ON billing_payment
    WHEN OLD.customer_id IS NOT NEW.customer_id
    BEGIN
        UPDATE billing_customer SET payment_count = payment_count - 1 WHERE id = OLD.customer_id;
        UPDATE billing_customer SET payment_count = payment_count + 1 WHERE id = NEW.customer_id;
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_payment_count_insert",
    "DROP TRIGGER IF EXISTS billing_payment_count_delete",
    "DROP TRIGGER IF EXISTS billing_payment_count_move",
]
BACKFILL = """
    UPDATE billing_customer SET payment_count = (
        SELECT COUNT(*) FROM billing_payment WHERE billing_payment.customer_id = billing_customer.id
    )
"""


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    raise NotImplementedError(f"Customer.payment_count has no triggers for {vendor}")


def create_triggers(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No payment may be written between the count and the triggers.
            cursor.execute("LOCK TABLE billing_payment IN SHARE ROW EXCLUSIVE MODE")
        for statement in _statements(connection.vendor, create=True):
            cursor.execute(statement)
        cursor.execute(BACKFILL)


def drop_triggers(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, create=False):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_merge_0003_bench_indexes_0003_payments_ii"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="payment_count",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
