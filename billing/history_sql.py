"""The purchase history page's query as fixed SQL, on PostgreSQL.

Every purchases page runs this one query. Built through the ORM (a filter,
an ids subquery, a sort, nine columns over three tables) it cost about 0.8 ms
of Python a page before PostgreSQL saw it, as much as PostgreSQL took to
answer. Here it is a string chosen from the sorts below and filled with
parameters; billing.selectors.PaymentHistoryPaginator uses it on PostgreSQL
and the ORM elsewhere (the embedded SQLite demo returns dates and decimals
as text, which only the ORM converts), and tests/billing/test_history_sql.py
checks both give the rows the ORM's sort gives, page by page, from both ends.

Nothing here comes from the request except the numbers passed as
parameters: the sort key must be one of SORT_COLUMNS (a KeyError otherwise).
"""

from django.db import connection

from .models import Invoice, Order, Payment

# Sort key -> the payment column its index (Payment.Meta.indexes) holds after
# the customer; every sort ends with the id, as PURCHASE_SORTS does.
SORT_COLUMNS = {
    "date": "created_at",
    "price": "amount",
    "status": "status",
    "order": "order_number",
}

PAGE_SQL = """
SELECT p.id, p.created_at, p.amount, p.currency, p.status, p.amount_refunded, p.order_number,
       (SELECT o.product FROM {order} o WHERE o.id = p.order_id),
       (SELECT i.number FROM {invoice} i WHERE i.payment_id = p.id)
FROM {payment} p
WHERE p.customer_id = %s AND p.id = ANY(ARRAY(
    SELECT id FROM {payment} WHERE customer_id = %s
    ORDER BY {column} {inner}, id {inner} LIMIT %s OFFSET %s
))
ORDER BY p.{column} {outer}, p.id {outer}
"""
# The page's ids as an array, and the order's product and the invoice's
# number as subqueries of the 25 rows: the same work as joining the three
# tables, but PostgreSQL plans it in 0.16 ms instead of about 0.5 (planning
# was half of the page query's cost).


def page_sql_available(*, sort: str) -> bool:
    return connection.vendor == "postgresql" and sort.lstrip("-") in SORT_COLUMNS


def page_rows(
    *, customer_id: int, sort: str, backwards: bool, limit: int, offset: int
) -> list[tuple]:
    """One page of the customer's history, sorted by `sort`.

    With `backwards`, the page's ids are found from the other end of the
    index (offset counted from there); the rows still come in `sort` order.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            page_sql(sort=sort, backwards=backwards), [customer_id, customer_id, limit, offset]
        )
        return cursor.fetchall()


def page_sql(*, sort: str, backwards: bool) -> str:
    """PAGE_SQL for `sort`; its parameters: customer id twice, limit, offset."""
    descending = sort.startswith("-")
    outer = "DESC" if descending else "ASC"
    inner = "DESC" if descending != backwards else "ASC"
    quote = connection.ops.quote_name
    return PAGE_SQL.format(
        payment=quote(Payment._meta.db_table),
        order=quote(Order._meta.db_table),
        invoice=quote(Invoice._meta.db_table),
        column=quote(SORT_COLUMNS[sort.lstrip("-")]),
        inner=inner,
        outer=outer,
    )
