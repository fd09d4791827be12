"""The purchase history's table rows, built in Python.

    {% load purchase_rows %} <tbody>{% purchase_rows rows %}</tbody>

`rows` are billing.selectors.HistoryRow: a page of them, or the print
view's whole history. Everything else on those pages (the header, the sort
menu, the page links) is template, translated like every other string.

The rows stay in Python for the print view, which lists every row of a
history: 50,000 rows took 33.2 s to render as a template loop (tags for the
date and the money, a translation per invoice link) and 4.5 s here, in one
process on the 2-core benchmark machine under a load average of 7; `make
bench SCALE=full` timed the whole print view of that history at 2.7-4.1 s
("print view [50000]", bench/results/2026-12-07-full.json). As a template
it would outlast the web server's request timeout. The labels are translated and
escaped once per table and each value is escaped once (html.escape, which
is what django.utils.html.escape does, without its lazy-string wrapper
around every call).
"""

import re
from collections.abc import Iterable
from html import escape
from urllib.parse import quote

from django import template
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from billing.models import Payment
from billing.selectors import HistoryRow
from vendors import formatting

register = template.Library()

# Every {placeholder} below is filled with escaped text only (see purchase_rows).
INVOICE_LINK = '<a href="{href}" aria-label="{words}">{number}</a>'
WITHDRAW_LINK = '<br><a class="purchases__withdraw" href="{href}">{words}</a>'
REFUNDED = ' <span class="purchases__refunded">{amount}</span>'
# A failed payment has no invoice: a dash for the eye, words for a screen reader.
NO_INVOICE = (
    '<span class="muted purchases__no-invoice" aria-hidden="true">—</span>'
    '<span class="visually-hidden">{words}</span>'
)


# Most values (dates, amounts, order numbers, statuses) hold nothing to
# escape: one search for the five characters html.escape replaces is about
# half the cost of its five replacements, and a page of rows escapes some
# 200 values.
_NEEDS_ESCAPE = re.compile(r"[&<>\"']").search


def _text(value) -> str:
    text = str(value)
    return escape(text, quote=True) if _NEEDS_ESCAPE(text) else text


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
    # Orders inside their withdrawal period (EU Art. 11a): the link beside them.
    withdrawable = context.get("withdrawable") or frozenset()
    withdraw_words = _text(gettext("Withdraw from contract here"))
    cells = []
    for row in rows:
        withdraw = ""
        if row.order_number in withdrawable:
            withdraw = WITHDRAW_LINK.format(
                href=_text(f"{hub_path}withdraw/?order={quote(row.order_number)}"),
                words=withdraw_words,
            )
        if withdraw:
            # The number stays on one line; the link goes below it.
            order_cell = (
                f'<td data-label="{order_label}"><span class="nowrap">'
                f"{_text(row.order_number)}</span>{withdraw}</td>"
            )
        else:
            order_cell = (
                f'<td class="nowrap" data-label="{order_label}">{_text(row.order_number)}</td>'
            )
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
            f"{order_cell}"
            f'<td data-label="{status_label}"><span class="badge badge--{status}">'
            f"{statuses.get(row.status) or status}</span>{refunded}</td>"
            f'<td class="nowrap" data-label="{invoice_label}">{invoice_cell}</td>'
            "</tr>"
        )
    return mark_safe("".join(cells))  # noqa: S308 -- every value above went through _text
