import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse

from billing.documents.exports import csv_cell
from billing.models import Payment
from tests.conftest import sign_in
from tests.factories import PaymentFactory, payments_bulk

CSV = "/northwind/updateinfo/purchases.csv"
HEADER = ["Date", "Product", "Amount", "Currency", "Order ID", "Status", "Invoice number"]


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def add_failed_payments(customer, count: int) -> None:
    """`count` failed payments, one a minute back from now, in one INSERT."""
    order = PaymentFactory(order__customer=customer).order
    payments_bulk(order, count, status="failed")


def test_it_streams_every_purchase_as_utf8_csv_with_a_header(alice_client, alice, vendor):
    vendor.timezone = "America/New_York"
    vendor.save()
    when = datetime(2026, 3, 14, 2, 30, tzinfo=UTC)  # 13 March in NY
    paid = PaymentFactory(
        order__customer=alice,
        order__number="ORD-1",
        order__product="Café Crème Course",
        amount=Decimal("1234.50"),
        created_at=when,
    )
    PaymentFactory(
        order__customer=alice,
        order__number="ORD-2",
        order__product="Declined",
        status="failed",
        created_at=when - timedelta(days=1),
    )
    response = alice_client.get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="purchases-northwind.csv"'
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert rows[1] == [
        "2026-03-13",
        "Café Crème Course",
        "1234.50",
        "USD",
        "ORD-1",
        "Paid",
        paid.invoice.number,
    ]
    assert rows[2][4:] == ["ORD-2", "Failed", ""]
    assert len(rows) == 3


def test_it_follows_the_sort_of_the_page(alice_client, alice):
    for number, amount in [("ORD-1", "5"), ("ORD-2", "50"), ("ORD-3", "0")]:
        PaymentFactory(order__customer=alice, order__number=number, amount=Decimal(amount))
    rows = read_csv(alice_client.get(CSV, {"sort": "-price"}))
    assert [row[4] for row in rows[1:]] == ["ORD-2", "ORD-1", "ORD-3"]
    rows = read_csv(alice_client.get(CSV, {"sort": "bogus"}))
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("Plain product", "Plain product"),
        ("", ""),
    ],
)
def test_csv_cell_neutralises_formulas(value, expected):
    assert csv_cell(value) == expected


def test_a_product_named_like_a_formula_arrives_as_text(alice_client, alice):
    PaymentFactory(order__customer=alice, order__product='=cmd|" /C calc"!A0', order__number="@1")
    rows = read_csv(alice_client.get(CSV))
    assert rows[1][1] == '\'=cmd|" /C calc"!A0'
    assert rows[1][4] == "'@1"


def test_it_reads_the_rows_in_chunks_with_few_queries(
    alice_client, alice, django_assert_max_num_queries
):
    add_failed_payments(alice, 5000)
    with django_assert_max_num_queries(10):
        rows = read_csv(alice_client.get(CSV))
    assert len(rows) == 5002


def test_bob_downloads_only_his_purchases(client, alice, bob):
    PaymentFactory(order__customer=alice, order__product="Alice Course")
    PaymentFactory(order__customer=bob, order__product="Bob Course")
    sign_in(client, bob)
    products = [row[1] for row in read_csv(client.get(CSV))[1:]]
    assert products == ["Bob Course"]


def test_a_customer_of_another_vendor_downloads_only_that_vendors(client, alice, acme_alice):
    PaymentFactory(order__customer=alice, order__product="Northwind Course")
    PaymentFactory(order__customer=acme_alice, order__product="Acme Lizenz")
    sign_in(client, acme_alice)
    rows = read_csv(client.get("/acme/updateinfo/purchases.csv"))
    assert [row[1] for row in rows[1:]] == ["Acme Lizenz"]
    assert rows[1][3] == "EUR"


def test_signed_in_at_northwind_gets_no_csv_at_acme(alice_client, acme_alice):
    PaymentFactory(order__customer=acme_alice)
    response = alice_client.get("/acme/updateinfo/purchases.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/acme/updateinfo/?next=")


def test_it_asks_to_sign_in_first(client, vendor):
    assert client.get(CSV).status_code == 302


def test_memory_stays_flat_however_long_the_history(alice_client, alice):
    import tracemalloc

    from billing.selectors import payment_history

    add_failed_payments(alice, 12000)
    response = alice_client.get(CSV)
    tracemalloc.start()
    lines = sum(chunk.count(b"\r\n") for chunk in response.streaming_content)
    streamed_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tracemalloc.start()
    loaded = list(payment_history(customer=alice))
    loaded_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert lines == len(loaded) + 1
    # Holding the rows would cost what the list costs; streaming a chunk at a
    # time costs a fraction of it (about a sixth here), whatever the length.
    assert streamed_peak < loaded_peak / 3


def test_rows_are_written_from_values_without_building_models(alice_client, alice):
    """Building a Payment, an Order and an Invoice per row was most of the
    export's time: the rows come from values_list instead."""
    from unittest import mock

    from billing.models import Invoice, Order

    add_failed_payments(alice, 30)
    PaymentFactory(order__customer=alice, order__product="With invoice")
    expected = Payment.objects.filter(customer=alice).count() + 1  # and the header
    with (
        mock.patch.object(Payment, "from_db", side_effect=AssertionError("a Payment was built")),
        mock.patch.object(Order, "from_db", side_effect=AssertionError("an Order was built")),
        mock.patch.object(Invoice, "from_db", side_effect=AssertionError("an Invoice was built")),
    ):
        rows = read_csv(alice_client.get(CSV))
    assert len(rows) == expected
    assert any(row[6] for row in rows[1:])  # the invoice number is there
