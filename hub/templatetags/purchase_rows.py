"""The purchase history's table rows and controls, built in Python.

    {% load purchase_rows %} <tbody>{% purchase_rows rows %}</tbody>
    <tr>{% purchase_headers columns %}</tr>
    <select>{% purchase_sort_options sort_choices sort %}</select>
    <ul>{% purchase_page_links page page_range sort %}</ul>

`rows` are billing.selectors.HistoryRow (a page of them, or the print
view's whole history); the view decides the columns, sorts and pages, and
these tags only write them out. As template loops (a lazy translation per
option, a translation and three conditions per page link) the header, the
sort menu and the page links cost as much as the 25 rows.

The page shows 25 rows and the print view every row of the history. As a
template partial each row cost about 0.075 ms in Django's template engine (a
dozen nodes, variable lookups, a translation per row): a quarter of the
purchases page's time, and seconds for the print view of a long history.
Here the labels are translated and escaped once per table and each value is
escaped once (html.escape, which is what django.utils.html.escape does,
without its lazy-string wrapper around every call).
"""

from collections.abc import Iterable
from html import escape
from urllib.parse import quote

from django import template
from django.core.paginator import Page
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from billing.models import Payment
from billing.selectors import HistoryRow
from vendors import formatting

register = template.Library()

# Every {placeholder} below is filled with escaped text only (see purchase_rows).
INVOICE_LINK = '<a href="{href}" aria-label="{words}">{number}</a>'
REFUNDED = ' <span class="purchases__refunded">{amount}</span>'
# A failed payment has no invoice: a dash for the eye, words for a screen reader.
NO_INVOICE = (
    '<span class="muted purchases__no-invoice" aria-hidden="true">—</span>'
    '<span class="visually-hidden">{words}</span>'
)


HEADER = (
    '<th scope="col"{numeric}{aria_sort}>'
    '<a class="sort-link" href="?sort={sort}">{label}'
    '<span class="sort-link__icon" aria-hidden="true">{icon}</span></a>'
    '<span class="sort-label">{label}</span></th>'
)
PAGE_LINK = (
    '<li><a{current} href="?sort={sort}&amp;page={number}">'
    '<span class="visually-hidden">{page} </span>{number}</a></li>'
)
ELLIPSIS = '<li><span aria-hidden="true">…</span></li>'


def _text(value) -> str:
    return escape(str(value), quote=True)


@register.simple_tag
def purchase_headers(columns: Iterable[dict]) -> SafeString:
    """The header row's cells (hub.purchase_views._columns)."""
    cells = []
    for column in columns:
        label = _text(column["label"])
        if not column["sortable"]:
            cells.append(f'<th scope="col">{label}</th>')
            continue
        aria_sort = column["aria_sort"]
        cells.append(
            HEADER.format(
                numeric=' class="num"' if column["numeric"] else "",
                aria_sort=f' aria-sort="{_text(aria_sort)}"' if aria_sort else "",
                sort=_text(column["sort"]),
                label=label,
                icon=_text(column["icon"]),
            )
        )
    return mark_safe("".join(cells))  # noqa: S308 -- every value above went through _text


@register.simple_tag
def purchase_sort_options(choices: Iterable[tuple[str, str]], sort: str) -> SafeString:
    """The sort menu's options, the current sort selected."""
    options = [
        f'<option value="{_text(value)}"{" selected" if value == sort else ""}>'
        f"{_text(label)}</option>"
        for value, label in choices
    ]
    return mark_safe("".join(options))  # noqa: S308 -- every value above went through _text


@register.simple_tag
def purchase_page_links(page: Page, page_range: Iterable[int | str], sort: str) -> SafeString:
    """The numbered page links, the current page marked, gaps as an ellipsis."""
    word = _text(gettext("Page"))
    sort_text = _text(sort)
    links = []
    for number in page_range:
        if number == page.paginator.ELLIPSIS:
            links.append(ELLIPSIS)
            continue
        links.append(
            PAGE_LINK.format(
                current=' aria-current="page"' if number == page.number else "",
                sort=sort_text,
                number=_text(number),
                page=word,
            )
        )
    return mark_safe("".join(links))  # noqa: S308 -- every value above went through _text


@register.simple_tag(takes_context=True)
def purchase_rows(context: template.Context, rows: Iterable[HistoryRow]) -> SafeString:
    vendor = context.get("vendor")
    # The labels go into every row's cells (data-label: the phone layout
    # shows them beside each value), translated and escaped once.
    date_label = _text(gettext("Date"))
    product_label = _text(gettext("Product"))
    price_label = _text(gettext("Price"))
    order_label = _text(gettext("Order ID"))
    status_label = _text(gettext("Status"))
    invoice_label = _text(gettext("Invoice"))
    no_invoice = NO_INVOICE.format(words=_text(gettext("No invoice")))
    invoice_words = gettext("Invoice %(number)s")
    statuses = {value: _text(label) for value, label in Payment.Status.choices}
    hub_path = vendor.hub_path if vendor else ""
    fmt = formatting.VendorFormat(vendor)
    # Product names are the vendor's words, in its language (WCAG 3.1.2).
    language = formatting.vendor_text_language(vendor)
    product_lang = f' lang="{_text(language)}"' if language else ""
    cells = []
    for row in rows:
        if row.invoice_number:
            invoice_cell = INVOICE_LINK.format(
                href=_text(f"{hub_path}invoices/{quote(row.invoice_number)}/"),
                words=_text(invoice_words % {"number": row.invoice_number}),
                number=_text(row.invoice_number),
            )
        else:
            invoice_cell = no_invoice
        refunded = ""
        if row.amount_refunded:
            refunded = REFUNDED.format(amount=_text(fmt.money(row.amount_refunded, row.currency)))
        status = _text(row.status)
        product = row.product_name
        # Our name for an unnamed product is in the page's language.
        lang = "" if isinstance(product, Promise) else product_lang
        cells.append(
            "<tr>"
            f'<td class="nowrap" data-label="{date_label}">'
            f"{_text(fmt.local_date(row.created_at))}</td>"
            f'<td class="purchases__product" data-label="{product_label}"{lang}>'
            f"{_text(str(product))}</td>"
            f'<td class="num nowrap" data-label="{price_label}">'
            f"{_text(fmt.money(row.amount, row.currency))}</td>"
            f'<td class="nowrap" data-label="{order_label}">{_text(row.order_number)}</td>'
            f'<td data-label="{status_label}"><span class="badge badge--{status}">'
            f"{statuses.get(row.status) or status}</span>{refunded}</td>"
            f'<td class="nowrap" data-label="{invoice_label}">{invoice_cell}</td>'
            "</tr>"
        )
    return mark_safe("".join(cells))  # noqa: S308 -- every value above went through _text
