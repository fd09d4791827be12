"""The benchmark's dataset, written straight into PostgreSQL with COPY.

Vendors go through the ORM (a few thousand rows, and their save() fills the
invoice prefix); customers, subscriptions, orders, payments and invoices are
streamed with COPY, which loads a million payments in well under a minute
where the ORM would take many. Ids are assigned here (the tables are
truncated with RESTART IDENTITY first) and the sequences moved past them.

One vendor, `bench-shop`, holds the customers the harness signs in as: one
per history length of the scale (`size-5@bench.example` ... ) with one-time
orders, a renewing subscription, failed and refunded payments, invoices for
every paid payment, and a past-due subscription whose last charges failed;
and `failing@bench.example`, whose one subscription has the scale's longest
history with one payment in twenty failed.
Everyone else gets a plain history so the tables have the scale's size.
"""

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection

SHOP = "bench-shop"


@dataclass(frozen=True)
class Scale:
    vendors: int
    customers: int
    payments: int
    sizes: tuple[int, ...]  # the signed-in customers' history lengths
    csv_rows: int = 0  # a customer whose history is only downloaded as CSV
    # A customer with one past-due subscription of this many payments, one
    # in twenty failed: its subscriptions page finds the newest failures
    # among them (issue 21: 0.042 of /healthz before their own index).
    failing: int = 0
    extra: dict = field(default_factory=dict)


SCALES = {
    # The CI smoke: seconds, enough to see a query count grow with history.
    "tiny": Scale(vendors=3, customers=40, payments=2_000, sizes=(5, 50, 500), failing=500),
    "small": Scale(
        vendors=100, customers=10_000, payments=100_000, sizes=(5, 500, 5_000), failing=5_000
    ),
    "full": Scale(
        vendors=10_000,
        customers=100_000,
        payments=1_000_000,
        sizes=(5, 500, 5_000, 50_000),
        csv_rows=100_000,
        failing=50_000,
    ),
}

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SELLER = {
    "name": "Bench Shop",
    "address": "1 Loop Road\nLocalhost",
    "support_email": "",
    "logo": "",
}
PRODUCTS = ["Pro plan", "Course: Django at scale", "E-book bundle", "Team seat", "Stickers"]


def size_email(size: int) -> str:
    return f"size-{size}@bench.example"


def csv_email() -> str:
    return "csv@bench.example"


def failing_email() -> str:
    return "failing@bench.example"


class _Ids:
    def __init__(self) -> None:
        self.next = 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


def generate(scale_name: str, *, log=print) -> dict:
    """Replace the billing data with the scale's dataset; returns what the
    harness needs to know (vendor slug, customer ids per size, invoices)."""
    from vendors.models import Vendor

    scale = SCALES[scale_name]
    started = time.perf_counter()
    rng = random.Random(14)  # noqa: S311 (test data, the same on every run)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE billing_invoice, billing_invoicesequence, billing_payment, billing_order,"
            " billing_subscription, billing_customer, billing_auditevent, billing_webhookevent,"
            " magiclinks_accesslink, vendors_vendormembership, vendors_vendor"
            " RESTART IDENTITY CASCADE"
        )
    Vendor.objects.bulk_create(
        [
            Vendor(
                slug=SHOP if i == 0 else f"vendor-{i:05d}",
                name="Bench Shop" if i == 0 else f"Vendor {i}",
                invoice_prefix="BENCH" if i == 0 else f"V{i}",
                self_cancel=True,
                support_email="help@bench.example",
            )
            for i in range(scale.vendors)
        ],
        batch_size=2000,
    )
    vendor_ids = list(Vendor.objects.order_by("id").values_list("id", flat=True))
    shop_id = vendor_ids[0]
    log(f"  {len(vendor_ids)} vendors ({time.perf_counter() - started:.1f} s)")

    customer_ids, subscription_ids, order_ids, payment_ids = _Ids(), _Ids(), _Ids(), _Ids()
    invoice_ids = _Ids()
    customers, subscriptions, orders, payments, invoices = [], [], [], [], []
    info: dict = {"vendor": SHOP, "sizes": {}, "invoices": [], "scale": scale_name}
    sequence = 0

    def customer(vendor_id: int, email: str) -> int:
        pk = customer_ids.take()
        created = NOW - timedelta(days=900)
        customers.append(
            (
                pk,
                vendor_id,
                email,
                "Bench Customer",
                "1 Loop Road",
                "",
                "Localhost",
                "1000",
                "",
                "US",
                "",
                "",
                created,
                created,
            )
        )
        return pk

    def subscription(vendor_id: int, customer_id: int, status: str) -> int:
        pk = subscription_ids.take()
        created = NOW - timedelta(days=800)
        subscriptions.append(
            (
                pk,
                vendor_id,
                customer_id,
                "Pro plan",
                status,
                "19.00",
                "USD",
                "month",
                1,
                None,
                NOW + timedelta(days=20),
                NOW + timedelta(days=20),
                False,
                None,
                "visa",
                "4242",
                12,
                2030,
                "",
                "stripe",
                f"sub_{pk}",
                f"cus_{customer_id}",
                "",
                None,
                "",
                created,
                created,
            )
        )
        return pk

    def order(vendor_id, customer_id, subscription_id, when, amount, status) -> int:
        pk = order_ids.take()
        product = "Pro plan" if subscription_id else PRODUCTS[pk % len(PRODUCTS)]
        orders.append(
            (
                pk,
                vendor_id,
                customer_id,
                f"ORD-{pk:07d}",
                product,
                amount,
                "USD",
                status,
                "stripe",
                "",
                subscription_id,
                when,
            )
        )
        return pk

    def payment(vendor_id, customer_id, order_id, subscription_id, when, amount, status) -> int:
        pk = payment_ids.take()
        payments.append(
            (
                pk,
                vendor_id,
                customer_id,
                order_id,
                f"ORD-{order_id:07d}",  # the order's number: COPY skips Payment.save()
                subscription_id,
                amount,
                "USD",
                status,
                when,
                when if status != "failed" else None,
                when if status == "failed" else None,
                "Your card was declined." if status == "failed" else "",
                "stripe",
                "",
                "visa",
                "4242",
                amount if status == "refunded" else "0.00",
            )
        )
        return pk

    def history(vendor_id: int, customer_id: int, length: int, *, invoiced: bool) -> None:
        nonlocal sequence
        sub_active = subscription(vendor_id, customer_id, "active")
        sub_order = order(
            vendor_id, customer_id, sub_active, NOW - timedelta(days=800), "19.00", "paid"
        )
        for i in range(length):
            when = NOW - timedelta(minutes=30 * (length - i))
            status = "failed" if i % 17 == 5 else "refunded" if i % 31 == 7 else "paid"
            amount = f"{(i * 37) % 20000 / 100:.2f}"
            if i % 10 < 4:
                order_id, sub_id = sub_order, sub_active
            else:
                order_id, sub_id = order(vendor_id, customer_id, None, when, amount, status), None
            pk = payment(vendor_id, customer_id, order_id, sub_id, when, amount, status)
            if invoiced and status != "failed":
                sequence += 1
                invoices.append(
                    (
                        invoice_ids.take(),
                        vendor_id,
                        customer_id,
                        pk,
                        sequence,
                        f"BENCH-{sequence:06d}",
                        when,
                        json.dumps(SELLER),
                        json.dumps(
                            {"name": "Bench Customer", "email": "", "address": ["Localhost"]}
                        ),
                        json.dumps(
                            [
                                {
                                    "description": "Pro plan",
                                    "quantity": 1,
                                    "unit_amount": amount,
                                    "amount": amount,
                                }
                            ]
                        ),
                        amount,
                        "",
                        "0",
                        amount,
                        "USD",
                        "Visa •••• 4242",
                        "",
                        False,
                        "[]",
                        "[]",
                        amount,
                        False,
                    )
                )
        # A past-due subscription whose last three charges failed: the
        # subscriptions page shows them, whatever came before.
        sub_due = subscription(vendor_id, customer_id, "past_due")
        due_order = order(vendor_id, customer_id, sub_due, NOW - timedelta(days=90), "9.00", "paid")
        for i in range(4):
            status = "paid" if i == 0 else "failed"
            payment(
                vendor_id,
                customer_id,
                due_order,
                sub_due,
                NOW - timedelta(days=4 - i),
                "9.00",
                status,
            )

    def failing_subscription(vendor_id: int, customer_id: int, length: int) -> None:
        """One subscription, `length` renewals half an hour apart, every
        twentieth declined, and the last three declined (past due): the
        unsettled failures are the newest few of thousands of failures."""
        sub = subscription(vendor_id, customer_id, "past_due")
        sub_order = order(vendor_id, customer_id, sub, NOW - timedelta(days=800), "19.00", "paid")
        for i in range(length):
            failed = i % 20 == 11 or i >= length - 3
            when = NOW - timedelta(minutes=30 * (length - i))
            payment(vendor_id, customer_id, sub_order, sub, when, "19.00", _failed(failed))

    for size in scale.sizes:
        pk = customer(shop_id, size_email(size))
        history(shop_id, pk, size, invoiced=True)
        info["sizes"][str(size)] = pk
    if scale.csv_rows:
        pk = customer(shop_id, csv_email())
        history(shop_id, pk, scale.csv_rows, invoiced=False)
        info["csv_customer"] = pk
        info["csv_rows"] = scale.csv_rows
    if scale.failing:
        pk = customer(shop_id, failing_email())
        failing_subscription(shop_id, pk, scale.failing)
        info["failing_customer"] = pk
    special_payments = len(payments)
    others = scale.customers - len(customers)
    per_customer = max(1, (scale.payments - special_payments) // max(others, 1))
    rest = scale.payments - special_payments - per_customer * others
    for n in range(others):
        vendor_id = vendor_ids[1 + n % (len(vendor_ids) - 1)] if len(vendor_ids) > 1 else shop_id
        pk = customer(vendor_id, f"customer-{n}@bench.example")
        for _ in range(per_customer + (1 if n < rest else 0)):
            when = NOW - timedelta(days=rng.randrange(700), minutes=rng.randrange(1440))
            status = "failed" if rng.random() < 0.05 else "paid"
            amount = f"{rng.randrange(100, 20000) / 100:.2f}"
            order_id = order(vendor_id, pk, None, when, amount, status)
            payment(vendor_id, pk, order_id, None, when, amount, status)
    log(f"  rows built in memory ({time.perf_counter() - started:.1f} s)")

    _copy("billing_customer", CUSTOMER_COLUMNS, customers)
    _copy("billing_subscription", SUBSCRIPTION_COLUMNS, subscriptions)
    _copy("billing_order", ORDER_COLUMNS, orders)
    with connection.cursor() as cursor:
        # Customer.payment_count's triggers would update a customer row per
        # payment copied; one grouped UPDATE afterwards sets the same counts.
        cursor.execute("ALTER TABLE billing_payment DISABLE TRIGGER USER")
    try:
        _copy("billing_payment", PAYMENT_COLUMNS, payments)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE billing_payment ENABLE TRIGGER USER")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_customer SET payment_count = counted.n"
            " FROM (SELECT customer_id, COUNT(*) AS n FROM billing_payment GROUP BY customer_id)"
            " AS counted WHERE counted.customer_id = billing_customer.id"
        )
    _copy("billing_invoice", INVOICE_COLUMNS, invoices)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_invoicesequence (vendor_id, last_number, last_credit_note_number)"
            " VALUES (%s, %s, 0)",
            [shop_id, sequence],
        )
        for table in ("customer", "subscription", "order", "payment", "invoice"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('billing_{table}', 'id'),"  # noqa: S608
                f" (SELECT coalesce(max(id), 1) FROM billing_{table}))"
            )
    log(
        f"  {len(customers)} customers, {len(orders)} orders, {len(payments)} payments,"
        f" {len(invoices)} invoices copied ({time.perf_counter() - started:.1f} s)"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # index-only scans need the visibility map
    log(f"  vacuumed and analysed ({time.perf_counter() - started:.1f} s)")
    info["seconds"] = round(time.perf_counter() - started, 1)
    info["rows"] = {
        "vendors": len(vendor_ids),
        "customers": len(customers),
        "orders": len(orders),
        "payments": len(payments),
        "invoices": len(invoices),
    }
    return info


def _failed(failed: bool) -> str:
    return "failed" if failed else "paid"


CUSTOMER_COLUMNS = (
    "id, vendor_id, email, name, address_line1, address_line2, city, postal_code, state, country,"
    " stripe_customer_id, paypal_payer_id, created_at, updated_at"
)
SUBSCRIPTION_COLUMNS = (
    "id, vendor_id, customer_id, product, status, amount, currency, interval, interval_count,"
    " trial_end, current_period_end, next_payment_at, cancel_at_period_end, canceled_at,"
    " card_brand, card_last4, card_exp_month, card_exp_year, payment_method_id, processor,"
    " processor_id, processor_customer_id, processor_price_id, cancel_requested_at, cancel_reason,"
    " created_at, updated_at"
)
ORDER_COLUMNS = (
    "id, vendor_id, customer_id, number, product, amount, currency, status, processor,"
    " processor_ref, subscription_id, created_at"
)
PAYMENT_COLUMNS = (
    "id, vendor_id, customer_id, order_id, order_number, subscription_id, amount, currency,"
    " status, created_at,"
    " paid_at, failed_at, failure_message, processor, processor_ref, card_brand, card_last4,"
    " amount_refunded"
)
INVOICE_COLUMNS = (
    "id, vendor_id, customer_id, payment_id, sequence, number, issued_at, seller, buyer, lines,"
    " subtotal, tax_label, tax_amount, total, currency, paid_via, pdf, imported,"
    " discounts, tax_rates, amount_paid, reverse_charge"
)


def _copy(table: str, columns: str, rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
