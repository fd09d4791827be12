"""Reads of the billing domain. Keyword-only, named <noun>_<verb>.

Every read starts from the signed-in customer (and so from their vendor):
nothing here can return another tenant's rows.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from .cards import CARD_STATUSES, card_update_place
from .models import AuditEvent, Customer, Invoice, Payment, Subscription, normalize_email
from .products import product_name

# The purchase history's sort keys (the `?sort=` values) and their ORDER BY.
# Each ends with the primary key so that rows with equal values (same date,
# same price) keep one order across pages and between the page and the CSV.
PURCHASE_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("created_at", "id"),
    "-date": ("-created_at", "-id"),
    "price": ("amount", "id"),
    "-price": ("-amount", "-id"),
    "order": ("order_number", "id"),
    "-order": ("-order_number", "-id"),
    "status": ("status", "id"),
    "-status": ("-status", "-id"),
}
PURCHASE_SORT_DEFAULT = "-date"
# What the purchase history, its print view and the admin's customer page
# show of each payment (ids are always read). Anything else a caller reads
# costs a query per row: the query-count tests of those pages catch it.
HISTORY_FIELDS = (
    "created_at",
    "amount",
    "currency",
    "status",
    "amount_refunded",
    "order__number",
    "order__product",
    "invoice__number",
)


def purchase_sort_parse(*, value: str | None) -> str:
    """The sort key asked for, or the default (newest first) for anything else."""
    return value if value in PURCHASE_SORTS else PURCHASE_SORT_DEFAULT


def payment_history(*, customer: Customer, sort: str = PURCHASE_SORT_DEFAULT) -> QuerySet:
    """The customer's payments, one-time and subscription ones together, in `sort` order.

    A payment is one charge attempt, so failed and refunded ones are listed with
    their status and a $0 pay-what-you-want purchase appears, while a free trial
    (an order with no payment) does not. The order and the invoice come in the
    same query: a page of 25 rows or a 100k-row CSV costs one query, not one per row.
    """
    ordering = PURCHASE_SORTS[purchase_sort_parse(value=sort)]
    return (
        _customer_payments(customer=customer)
        .select_related("order", "invoice")
        # Only the columns a list shows: fewer to compile, read and set on
        # three model instances per row (a page of 25 rows was 0.8 ms
        # faster), and never the invoice's JSON snapshot.
        .only(*HISTORY_FIELDS)
        .order_by(*ordering)
    )


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One line of the purchase history as its table shows it."""

    id: int
    created_at: datetime
    amount: Decimal
    currency: str
    status: str
    amount_refunded: Decimal
    order_number: str
    order_product: str
    invoice_number: str | None

    @property
    def product_name(self):
        """The product as the reader sees it (billing.products)."""
        return product_name(self.order_product)

    @property
    def status_label(self) -> str:
        """The status in the vendor's language ("Partially refunded")."""
        try:
            return str(Payment.Status(self.status).label)
        except ValueError:
            return self.status


# HistoryRow's fields, in order, as the query reads them.
HISTORY_COLUMNS = ("id", *HISTORY_FIELDS)


def payment_history_rows(
    *, customer: Customer, sort: str = PURCHASE_SORT_DEFAULT, chunk_size: int = 2000
) -> Iterator[HistoryRow]:
    """The purchase history as table rows, read in chunks (the print view
    lists every row of a history of any length)."""
    values = (
        _customer_payments(customer=customer)
        .order_by(*PURCHASE_SORTS[purchase_sort_parse(value=sort)])
        .values_list(*HISTORY_COLUMNS)
    )
    return _rows(values.iterator(chunk_size=chunk_size))


def _rows(values: Iterable[tuple]) -> Iterator[HistoryRow]:
    # Tuples, not models: three model instances a row (payment, order,
    # invoice) were a fifth of a purchases page's time.
    return (HistoryRow(*value) for value in values)


def _customer_payments(*, customer: Customer) -> QuerySet:
    """The customer's payments, unordered; every sort has an index that
    starts with the customer (Payment.Meta.indexes).

    No vendor filter: the customer was loaded from their vendor (the session
    entry is per vendor), so their payments are that vendor's already, and a
    vendor_id condition is a column none of the customer's indexes hold: it
    made PostgreSQL read every row of a 50k history from the table just to
    count them (39 ms instead of 5 with an index-only scan).
    """
    return Payment.objects.filter(customer=customer)


def payment_count(*, customer: Customer) -> int:
    """How many purchases the history lists: the count the database keeps on
    the customer's row (see Customer.payment_count), as of when `customer`
    was loaded. No query: a hub request loads its customer anyway."""
    return customer.payment_count


class PaymentHistoryPaginator(Paginator):
    """Pages of a customer's purchase history that cost the same whatever the
    page number and the history length.

    Django's Paginator slices the sorted, joined queryset with OFFSET, so the
    last page of a 50k-payment history made PostgreSQL join and sort every
    row and throw all but 25 away (3 requests/s). Here a page is read ids
    first: a narrow query over the sort's index finds the page's 25 ids, and
    a second query loads those rows with their order and invoice. A page in
    the second half of the history is read from the other end of the index
    (reversed sort, smaller OFFSET) and turned round, so the last page costs
    what the first does. One query a page: the page's rows, with the narrow
    id query as their subquery; the count comes with the customer's row.
    """

    def __init__(self, *, customer: Customer, sort: str, per_page: int):
        self.customer = customer
        self.sort = purchase_sort_parse(value=sort)
        # No object list: count and page() below read the history themselves,
        # and building the sorted, joined queryset only to hold it cost 0.2 ms.
        super().__init__((), per_page)

    @cached_property
    def count(self) -> int:
        return payment_count(customer=self.customer)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        count = self.count
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, count)
        if top <= bottom:
            return Page([], number, self)
        backwards = bottom > count - top
        ordering = PURCHASE_SORTS[self.sort]
        ids = _customer_payments(customer=self.customer).values("id")
        if backwards:
            # Nearer the end: read backwards from the end of the index.
            reverse = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in ordering)
            ids = ids.order_by(*reverse)[count - top : count - bottom]
        else:
            ids = ids.order_by(*ordering)[bottom:top]
        # The page's ids as a subquery of the rows' query: PostgreSQL finds
        # the 25 ids over the sort's index, then reads those rows by primary
        # key and sorts just them. One round trip instead of two.
        rows = (
            Payment.objects.filter(customer=self.customer, id__in=ids)
            .order_by(*ordering)
            .values_list(*HISTORY_COLUMNS)
        )
        return Page(list(_rows(rows)), number, self)


def payment_recent(*, customer: Customer, limit: int = 3) -> list[HistoryRow]:
    """The customer's latest few payments, for the dashboard's summary: the
    purchase history's first rows, over the same index as its first page."""
    values = (
        _customer_payments(customer=customer)
        .order_by(*PURCHASE_SORTS[PURCHASE_SORT_DEFAULT])
        .values_list(*HISTORY_COLUMNS)[:limit]
    )
    return list(_rows(values))


def subscription_list_with_card(*, customer: Customer) -> list[Subscription]:
    """The customer's subscriptions that charge a payment method (now or when
    a trial ends), each with `card_place`: "hub" for a Stripe card changed in
    the hub, "paypal" for one changed at PayPal. The same decision
    (billing.cards.card_update_place) as the subscriptions and card pages."""
    subscriptions = list(
        Subscription.objects.filter(
            vendor_id=customer.vendor_id, customer=customer, status__in=CARD_STATUSES
        ).order_by("-created_at", "-id")
    )
    for subscription in subscriptions:
        subscription.vendor = customer.vendor  # the one vendor: no query per row
        subscription.card_place = card_update_place(subscription)  # type: ignore[attr-defined]
    return subscriptions


def customer_email_taken(*, customer: Customer, email: str) -> bool:
    """Whether another customer of the same vendor already uses `email`, in any
    case (the database's unique constraint is on lower(email) too)."""
    return (
        Customer.objects.filter(vendor_id=customer.vendor_id, email__iexact=normalize_email(email))
        .exclude(pk=customer.pk)
        .exists()
    )


# Rows per section of the admin's customer page: a long history shows its
# newest rows and links to the full, paginated list.
CUSTOMER_RECORD_LIMIT = 50


def customer_record(*, customer: Customer, limit: int = CUSTOMER_RECORD_LIMIT) -> dict:
    """A customer's whole story for the vendor's staff: purchases,
    subscriptions, invoices and the audit trail, newest first, each section
    one query whatever the history's length (and at most `limit` rows)."""
    scope = {"vendor_id": customer.vendor_id, "customer": customer}
    return {
        "payments": list(payment_history(customer=customer)[:limit]),
        "subscriptions": list(
            Subscription.objects.filter(**scope).order_by("-created_at", "-id")[:limit]
        ),
        "invoices": list(Invoice.objects.filter(**scope).order_by("-issued_at", "-id")[:limit]),
        "audit_events": list(
            AuditEvent.objects.filter(**scope)
            .select_related("user", "subscription")
            .order_by("-created_at", "-id")[:limit]
        ),
    }
