"""The purchase history page's fixed SQL gives what the ORM's sort gives."""

import pytest
from django.db import connection

from billing import history_sql
from billing.selectors import HISTORY_COLUMNS, PURCHASE_SORTS, PaymentHistoryPaginator
from tests.billing.test_selectors import _mixed_history
from tests.factories import CustomerFactory, OrderFactory, payments_bulk

SORTS = [s for s in PURCHASE_SORTS if s.lstrip("-") in history_sql.SORT_COLUMNS]


@pytest.mark.parametrize("sort", SORTS)
def test_every_page_from_both_ends_matches_the_orm(postgres, alice, acme_alice, sort):
    _mixed_history(alice, 53)
    _mixed_history(acme_alice, 5)  # another customer's rows never come along
    expected = list(alice.payments.order_by(*PURCHASE_SORTS[sort]).values_list(*HISTORY_COLUMNS))
    for offset in range(0, 53, 10):
        limit = min(10, 53 - offset)
        forwards = history_sql.page_rows(
            customer_id=alice.pk, sort=sort, backwards=False, limit=limit, offset=offset
        )
        backwards = history_sql.page_rows(
            customer_id=alice.pk, sort=sort, backwards=True, limit=limit, offset=53 - offset - limit
        )
        assert forwards == backwards == expected[offset : offset + limit]


def test_the_paginator_uses_it_on_postgresql(postgres, alice, django_assert_num_queries):
    _mixed_history(alice, 30)
    paginator = PaymentHistoryPaginator(customer=alice, sort="price", per_page=10)
    with django_assert_num_queries(1) as captured:
        list(paginator.page(3))
    assert "LIMIT %s OFFSET %s" in history_sql.PAGE_SQL
    assert captured.captured_queries[0]["sql"].lstrip().startswith("SELECT p.id")


def test_a_sort_it_does_not_know_is_refused(postgres):
    customer = CustomerFactory()
    with pytest.raises(KeyError):
        history_sql.page_rows(
            customer_id=customer.pk, sort="id; DROP TABLE x", backwards=False, limit=1, offset=0
        )


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
        cursor.execute(
            "EXPLAIN " + history_sql.page_sql(sort=sort, backwards=backwards),
            [alice.pk, alice.pk, 25, 0],
        )
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert SORT_INDEXES[sort.lstrip("-")] in plan, plan
    sorts = [line for line in plan.splitlines() if "Sort  (" in line]
    assert len(sorts) == 1 and "Incremental" not in plan, plan
