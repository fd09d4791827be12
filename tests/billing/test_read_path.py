"""The hub's reads have one path, the ORM's, on SQLite and on PostgreSQL.

Each test here runs on both (CI runs the suite with DATABASE_URL set too);
the plan checks need PostgreSQL's EXPLAIN and say so.
"""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.documents.invoices import invoice_get
from billing.models import Invoice
from billing.selectors import PURCHASE_SORTS, PaymentHistoryPaginator, subscription_list_with_card
from billing.subscriptions import FAILED_PAYMENTS_SHOWN, _subscriptions_with_failures
from magiclinks.sessions import _customer
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory, payments_bulk
from tests.hub.test_subscriptions import with_payments

ROOT = Path(__file__).resolve().parents[2]


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(line for (line,) in cursor.fetchall())


# --- the invoice page ---------------------------------------------------------------------


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


def test_the_invoice_comes_with_its_payment_and_the_loaded_customer_in_one_query(
    alice, invoice, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = invoice_get(customer=alice, number=invoice.number)
        assert found.payment.order_number == "NW-77"
        assert found.payment.amount_refunded == Decimal("0.5")
        assert found.customer is alice and found.vendor is alice.vendor
        assert found.payment.customer is alice
        assert found.payment.invoice is found
    assert fields_of(found) == fields_of(Invoice.objects.get(pk=invoice.pk))
    # The database's types, on SQLite too (which hands back text).
    assert found.lines[0]["description"] == "Kurs «Aquarell»"
    assert isinstance(found.payment.amount, Decimal)
    assert found.issued_at.tzinfo is not None
    assert found.pdf.name != ""


def test_another_customers_or_vendors_invoice_is_not_found(alice, bob, acme_alice, invoice):
    for stranger in (bob, acme_alice):
        with pytest.raises(Http404):
            invoice_get(customer=stranger, number=invoice.number)


# --- the subscriptions page and the dashboard's cards ----------------------------------------


def test_subscriptions_and_their_unresolved_failures_for_every_kind_of_history(alice, bob):
    never_paid = SubscriptionFactory(customer=alice, status="past_due")
    with_payments(never_paid, "failed", "failed")
    settled = SubscriptionFactory(customer=alice, status="active")
    with_payments(settled, "failed", "paid", "failed")  # the first failure was settled
    many = SubscriptionFactory(customer=alice, status="past_due")
    with_payments(many, "refunded", *["failed"] * (FAILED_PAYMENTS_SHOWN + 3))
    none = SubscriptionFactory(customer=alice, status="canceled")  # no payments at all
    with_payments(SubscriptionFactory(customer=bob, status="past_due"), "failed")  # not hers

    subscriptions, failures = _subscriptions_with_failures(customer=alice)

    assert [s.pk for s in subscriptions] == [none.pk, many.pk, settled.pk, never_paid.pk]
    assert [s.last_settled_at is None for s in subscriptions] == [True, False, False, True]
    assert len(failures[never_paid.pk]) == 2
    assert len(failures[settled.pk]) == 1
    assert len(failures[many.pk]) == FAILED_PAYMENTS_SHOWN
    assert failures[none.pk] == []
    newest = failures[many.pk]
    assert [p.created_at for p in newest] == sorted((p.created_at for p in newest), reverse=True)


def test_the_subscriptions_cost_two_queries_and_none_cost_one(alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert _subscriptions_with_failures(customer=alice) == ([], {})
    with_payments(SubscriptionFactory(customer=alice, status="past_due"), "failed", "failed")
    with_payments(SubscriptionFactory(customer=alice, status="active"), "paid")
    with django_assert_num_queries(2):
        subscriptions, failures = _subscriptions_with_failures(customer=alice)
        assert sorted(len(failures[s.pk]) for s in subscriptions) == [0, 2]


def test_the_cards_list_is_one_query_with_the_vendor_in_hand(alice, django_assert_num_queries):
    SubscriptionFactory(customer=alice, status="active")
    SubscriptionFactory(customer=alice, status="canceled")
    with django_assert_num_queries(1):
        (subscription,) = subscription_list_with_card(customer=alice)
        assert subscription.vendor.slug == alice.vendor.slug
        assert subscription.card_place in ("hub", "paypal", "")


def test_the_newest_failures_are_read_from_their_own_index_without_a_sort(postgres, alice):
    """A subscription with thousands of failed payments after its last
    settled one (here they even share their timestamps, as imported retries
    can) finds its newest few in payment_subscription_failed, in order."""
    sub = SubscriptionFactory(customer=alice, status="past_due")
    order = OrderFactory(customer=alice, subscription=sub)
    payments_bulk(order, 1000, subscription=sub, created_at=timezone.now() - timedelta(days=90))
    payments_bulk(order, 2500, subscription=sub, status="failed", created_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_payment")
    with CaptureQueriesContext(connection) as captured:
        _, failures = _subscriptions_with_failures(customer=alice)
    assert len(failures[sub.pk]) == FAILED_PAYMENTS_SHOWN
    plan = _plan(captured.captured_queries[1]["sql"])
    assert "payment_subscription_failed" in plan, plan
    assert "Seq Scan" not in plan, plan
    # Read in the index's order and cut: the only sort is of the few rows kept.
    assert [line for line in plan.splitlines() if "Sort Key" in line] == [
        "  Sort Key: billing_payment.subscription_id, billing_payment.created_at DESC,"
        " billing_payment.id DESC"
    ], plan


# --- the purchase history --------------------------------------------------------------------

SORT_INDEXES = {
    "date": "payment_customer_date",
    "price": "payment_customer_amount",
    "order": "payment_customer_order",
    "status": "payment_customer_status",
}


@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("sort", list(PURCHASE_SORTS))
def test_every_sort_finds_its_page_over_its_index_from_either_end(postgres, alice, sort, backwards):
    """The page's ids come from the sort's index, read forwards (early
    pages) or backwards (late ones), with no sort of the history: only the
    page's 25 rows are sorted, at the end."""
    for number in ("NW-A", "NW-B"):
        payments_bulk(OrderFactory(customer=alice, number=number), 1500)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_payment")
    alice.refresh_from_db(fields=["payment_count"])
    paginator = PaymentHistoryPaginator(customer=alice, sort=sort, per_page=25)
    with CaptureQueriesContext(connection) as captured:
        rows = list(paginator.page(paginator.num_pages - 1 if backwards else 2))
    assert len(rows) == 25
    (query,) = captured.captured_queries
    plan = _plan(query["sql"])
    assert SORT_INDEXES[sort.lstrip("-")] in plan, plan
    sorts = [line for line in plan.splitlines() if "Sort  (" in line]
    assert len(sorts) == 1 and "Incremental" not in plan, plan


# --- the signed-in customer ------------------------------------------------------------------


def test_the_session_customer_is_one_query_inside_the_vendor(
    alice, acme_alice, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = _customer(vendor=alice.vendor, pk=alice.pk)
        assert found == alice and found.vendor is alice.vendor
    with django_assert_num_queries(1):
        assert _customer(vendor=alice.vendor, pk=acme_alice.pk) is None


# --- one path --------------------------------------------------------------------------------

# Code that talks to the database itself, not a read of the hub's pages: the
# readiness probe's own connection, and the DDL of the payment count's triggers.
MAY_ASK_WHICH_DATABASE = {"hub/views.py", "billing/triggers.py"}


def test_no_read_asks_which_database_it_runs_on():
    asking = sorted(
        str(path.relative_to(ROOT))
        for app in ("billing", "hub", "magiclinks", "vendors")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and re.search(r"connections?(\[[^]]*\])?\.vendor\b", path.read_text(encoding="utf-8"))
    )
    assert [path for path in asking if path not in MAY_ASK_WHICH_DATABASE] == []
