"""CSV export of a customer's purchase history, streamed row by row.

The rows are read with a server-side cursor in chunks (QuerySet.iterator) and
written out as they come, so a customer with 100k payments costs the process
one chunk of memory, not the whole history.
"""

import csv
import zoneinfo
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from vendors.formatting import vendor_zone

from .models import Invoice, Payment

CHUNK_SIZE = 2000

# A spreadsheet treats a cell that starts with one of these as a formula
# (tab and carriage return too: some programs strip them and then see "=").
# A product name or order id comes from outside (the vendor's catalogue, a
# processor), so each cell is neutralised, as OWASP advises, with a leading
# apostrophe that makes the spreadsheet read it as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands the line back (Django's CSV
    streaming recipe): csv.writer does the quoting, the generator yields."""

    def write(self, value: str) -> str:
        return value


def purchase_csv_header() -> list[str]:
    return [
        _("Date"),
        _("Product"),
        _("Amount"),
        _("Currency"),
        _("Order ID"),
        _("Status"),
        _("Invoice number"),
    ]


def purchase_csv_row(payment: Payment, zone: zoneinfo.ZoneInfo) -> list[str]:
    try:
        invoice_number = payment.invoice.number  # selected with the payment
    except Invoice.DoesNotExist:  # a failed payment has no invoice
        invoice_number = ""
    return [
        timezone.localtime(payment.created_at, zone).date().isoformat(),
        payment.order.product,
        str(payment.amount),
        payment.currency,
        payment.order.number,
        str(payment.get_status_display()),
        invoice_number,
    ]


def purchase_csv_lines(*, payments: QuerySet, vendor) -> Iterator[str]:
    """The CSV text of `payments` (in their queryset's order), one line at a time.

    The lines are produced while the response is sent, after the view and the
    middleware returned; the language of the request is kept for that time so
    the header and the statuses are in the language the page was in.
    """
    language = get_language()
    zone = vendor_zone(vendor)

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        with translation.override(language):
            yield writer.writerow([csv_cell(cell) for cell in purchase_csv_header()])
            rows: Iterable[Payment] = payments.iterator(chunk_size=CHUNK_SIZE)
            for payment in rows:
                yield writer.writerow([csv_cell(c) for c in purchase_csv_row(payment, zone)])

    return lines()
