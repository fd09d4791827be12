"""billing.rows and the invoice read built on it: instances from a fixed
statement equal what the ORM loads, on PostgreSQL and on SQLite."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from billing.documents.invoices import INVOICE_COLUMNS, PAYMENT_COLUMNS, invoice_get
from billing.models import Invoice, Payment
from billing.rows import ModelColumns, Statement
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


@pytest.fixture
def invoice(alice):
    order = OrderFactory(customer=alice, number="NW-77", amount=Decimal("1234.56"))
    subscription = SubscriptionFactory(customer=alice)
    payment = PaymentFactory(order=order, subscription=subscription, amount_refunded=Decimal("0.5"))
    invoice = payment.invoice
    invoice.lines = [{"description": "Kurs «Aquarell»", "quantity": 2, "amount": "1234.56"}]
    invoice.tax_label = "VAT"
    invoice.pdf.save("x.pdf", ContentFile(b"%PDF-"), save=False)
    invoice.save()
    return invoice


def test_it_builds_the_instances_the_orm_loads(invoice):
    statement = Statement(
        "SELECT {i_columns}, {p_columns} FROM {invoice} i"
        " JOIN {payment} p ON p.id = i.payment_id WHERE i.id = %s",
        i_columns=INVOICE_COLUMNS,
        p_columns=PAYMENT_COLUMNS,
        invoice=Invoice,
        payment=Payment,
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [invoice.pk])
        row = cursor.fetchone()
    built_invoice = INVOICE_COLUMNS.build(row[: len(INVOICE_COLUMNS)])
    built_payment = PAYMENT_COLUMNS.build(row[len(INVOICE_COLUMNS) :])

    loaded = Invoice.objects.select_related("payment").get(pk=invoice.pk)
    assert fields_of(built_invoice) == fields_of(loaded)
    assert fields_of(built_payment) == fields_of(loaded.payment)
    # The same types, not just equal values: SQLite hands back text.
    assert isinstance(built_invoice.lines, list)
    assert built_invoice.lines[0]["description"] == "Kurs «Aquarell»"
    assert isinstance(built_payment.amount, Decimal)
    assert built_payment.created_at.tzinfo is not None
    assert built_invoice.pdf.name == loaded.pdf.name != ""
    # Loaded from the database: saving it updates, never inserts.
    assert not built_invoice._state.adding and built_invoice._state.db == "default"


def test_it_reads_a_null_column_as_none(alice):
    payment = PaymentFactory(order=OrderFactory(customer=alice), status="failed")
    columns = ModelColumns(Payment, "x")
    sql = f'SELECT {columns.select()} FROM "billing_payment" x WHERE x.id = %s'
    built = columns.fetch(sql, [payment.pk])[0]
    assert built.paid_at is None and built.subscription_id is None
    assert fields_of(built) == fields_of(Payment.objects.get(pk=payment.pk))


def test_the_invoice_read_brings_its_payment_and_the_loaded_customer(
    alice, invoice, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = invoice_get(customer=alice, number=invoice.number)
        assert found.payment.order_number == "NW-77"
        assert found.payment.amount_refunded == Decimal("0.5")
        assert found.customer is alice and found.vendor is alice.vendor
        assert found.payment.invoice is found
    assert fields_of(found) == fields_of(Invoice.objects.get(pk=invoice.pk))


def test_a_statement_names_its_tables_columns_and_text_parts(db):
    columns = ModelColumns(Payment, "x")
    statement = Statement(
        "SELECT {columns} FROM {payment} x WHERE x.status IN ({statuses})",
        columns=columns,
        payment=Payment,
        statuses="%s, %s",
    )
    assert statement.sql == (
        f'SELECT {columns.select()} FROM "billing_payment" x WHERE x.status IN (%s, %s)'
    )
    assert columns.select().startswith('x."id", x."vendor_id"')
    assert statement.sql is statement.sql  # filled in once
