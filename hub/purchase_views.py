"""Purchase history: the sortable, paginated page and its CSV export."""

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.exports import purchase_csv_lines
from billing.selectors import (
    PaymentHistoryPaginator,
    payment_count,
    payment_history,
    payment_history_rows,
    purchase_sort_parse,
)
from magiclinks.sessions import CustomerRequest, customer_required
from rights.withdrawals import withdrawable_order_numbers

PER_PAGE = 25

# The same sorts as the column headers, as a <select> for narrow screens where
# the table's header row is not shown.
SORT_CHOICES = [
    ("-date", _("Date, newest first")),
    ("date", _("Date, oldest first")),
    ("-price", _("Price, highest first")),
    ("price", _("Price, lowest first")),
    ("order", _("Order ID, A to Z")),
    ("-order", _("Order ID, Z to A")),
    ("status", _("Status, A to Z")),
    ("-status", _("Status, Z to A")),
]


# The table's columns in order: (key, label, sortable, numeric).
COLUMNS = [
    ("date", _("Date"), True, False),
    ("product", _("Product"), False, False),
    ("price", _("Price"), True, True),
    ("order", _("Order ID"), True, False),
    ("status", _("Status"), True, False),
    ("invoice", _("Invoice"), False, False),
]
SORT_ICONS = {"ascending": "▲", "descending": "▼", "": "↕"}


def _columns(sort: str) -> list[dict]:
    """The table's header cells. A sortable one links to its sort (the other
    way round when it is already the sort) and carries aria-sort when it is.
    Decided here, written out by the template (hub/purchases.html)."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    columns = []
    for column, label, sortable, numeric in COLUMNS:
        # Translated here once: a sortable column's label is written twice.
        cell: dict = {"label": str(label), "sortable": sortable, "numeric": numeric}
        if sortable and column == key:
            cell["sort"] = column if descending else f"-{column}"
            cell["aria_sort"] = "descending" if descending else "ascending"
        elif sortable:
            # Newest and dearest first read best; names and ids A to Z.
            cell["sort"] = f"-{column}" if column in ("date", "price") else column
            cell["aria_sort"] = ""
        if sortable:
            cell["icon"] = SORT_ICONS[cell["aria_sort"]]
        columns.append(cell)
    return columns


def _page_number(value: str | None) -> int | str:
    """Zero, negative or garbage means the first page; get_page turns a number
    past the end into the last page. Never an error page for a bad ?page=."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return max(number, 1)


def _page_links(paginator: PaymentHistoryPaginator, number: int) -> list[int | None]:
    """The page numbers the pagination links to, None where it leaves a gap.

    None, not the paginator's ELLIPSIS: that is a lazy translation, and
    comparing each number with it in the template translated it once a link.
    """
    return [
        item if isinstance(item, int) else None
        for item in paginator.get_elided_page_range(number, on_each_side=1, on_ends=1)
    ]


@customer_required
def purchases(request: CustomerRequest, account: str) -> HttpResponse:
    sort = purchase_sort_parse(value=request.GET.get("sort"))
    paginator = PaymentHistoryPaginator(customer=request.customer, sort=sort, per_page=PER_PAGE)
    page = paginator.get_page(_page_number(request.GET.get("page")))
    context = {
        "customer": request.customer,
        "page": page,
        "sort": sort,
        "columns": _columns(sort),
        "sort_choices": SORT_CHOICES,
        "page_range": _page_links(paginator, page.number),
        "withdrawable": withdrawable_order_numbers(customer=request.customer),
    }
    return render(request, "hub/purchases.html", context)


@customer_required
def purchases_print(request: CustomerRequest, account: str) -> HttpResponse:
    """The whole history on one page, for paper: Print on the history page
    would otherwise print only the 25 rows on screen. One query for all rows
    (orders and invoices joined), whatever the history's length, read in
    chunks of plain rows, so a long history never sits in memory at once."""
    sort = purchase_sort_parse(value=request.GET.get("sort"))
    context = {
        "customer": request.customer,
        "count": payment_count(customer=request.customer),
        "payments": payment_history_rows(customer=request.customer, sort=sort),
        "sort": sort,
        "printed_at": timezone.now(),
    }
    return render(request, "hub/purchases_print.html", context)


@customer_required
def purchases_csv(request: CustomerRequest, account: str) -> StreamingHttpResponse:
    """Every purchase, in the order the page shows them, as a streamed CSV file."""
    sort = purchase_sort_parse(value=request.GET.get("sort"))
    payments = payment_history(customer=request.customer, sort=sort)
    response = StreamingHttpResponse(
        purchase_csv_lines(payments=payments, vendor=request.vendor),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="purchases-{request.vendor.slug}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
