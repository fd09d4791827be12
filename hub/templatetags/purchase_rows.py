"""The purchase history's table rows, built in Python.

    {% load purchase_rows %} <tbody>{% purchase_rows payments %}</tbody>

The page shows 25 rows and the print view every row of the history. As a
template partial each row cost about 0.08 ms in Django's template engine (a
dozen nodes, variable lookups, a translation per row): a quarter of the
purchases page's time, and seconds for the print view of a long history.
The same markup from format_html costs a fraction of that. Labels are
translated once per table, not once a row; format_html escapes every value.
"""

from collections.abc import Iterable
from urllib.parse import quote

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from billing.models import Payment
from vendors import formatting

register = template.Library()

ROW = (
    "<tr>"
    '<td class="nowrap" data-label="{date_label}">{date}</td>'
    '<td class="purchases__product" data-label="{product_label}">{product}</td>'
    '<td class="num nowrap" data-label="{price_label}">{price}</td>'
    '<td class="nowrap" data-label="{order_label}">{order}</td>'
    '<td data-label="{status_label}"><span class="badge badge--{status}">{status_text}</span>'
    "{refunded}</td>"
    '<td class="nowrap" data-label="{invoice_label}">{invoice}</td>'
    "</tr>"
)


@register.simple_tag(takes_context=True)
def purchase_rows(context: template.Context, payments: Iterable[Payment]) -> SafeString:
    vendor = context.get("vendor")
    labels = {
        "date_label": gettext("Date"),
        "product_label": gettext("Product"),
        "price_label": gettext("Price"),
        "order_label": gettext("Order ID"),
        "status_label": gettext("Status"),
        "invoice_label": gettext("Invoice"),
    }
    # A failed payment has no invoice: a dash for the eye, words for a screen reader.
    no_invoice = format_html(
        '<span class="muted purchases__no-invoice" aria-hidden="true">—</span>'
        '<span class="visually-hidden">{}</span>',
        gettext("No invoice"),
    )
    invoice_words = gettext("Invoice %(number)s")
    statuses = {value: str(label) for value, label in Payment.Status.choices}
    hub_path = vendor.hub_path if vendor else ""
    rows = []
    for payment in payments:
        invoice = payment.invoice if hasattr(payment, "invoice") else None
        if invoice:
            invoice_cell = format_html(
                '<a href="{}invoices/{}/" aria-label="{}">{}</a>',
                hub_path,
                quote(invoice.number),
                invoice_words % {"number": invoice.number},
                invoice.number,
            )
        else:
            invoice_cell = no_invoice
        refunded = ""
        if payment.amount_refunded:
            refunded = format_html(
                ' <span class="purchases__refunded">{}</span>',
                formatting.money(payment.amount_refunded, payment.currency, vendor),
            )
        rows.append(
            format_html(
                ROW,
                date=formatting.local_date(payment.created_at, vendor),
                product=payment.order.product,
                price=formatting.money(payment.amount, payment.currency, vendor),
                order=payment.order.number,
                status=payment.status,
                status_text=statuses.get(payment.status, payment.status),
                refunded=refunded,
                invoice=invoice_cell,
                **labels,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 -- each row came from format_html
