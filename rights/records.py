"""The customer's own record of cancellations, withdrawals and reminders
(California asks that it be kept, and a customer may want it): one CSV,
read in a fixed number of queries, scoped to the signed-in customer."""

import csv
import io
from collections.abc import Iterator

from django.db.models import Q
from django.utils.translation import gettext as _

from billing.models import AuditEvent, Customer
from vendors.formatting import local_datetime

from .models import CancellationDeclaration, Reminder, WithdrawalDeclaration

AUDITED = ("subscription.canceled", "subscription.cancel_undone", "order.withdrawn")


def customer_record_rows(*, customer: Customer) -> list[tuple]:
    """(when, what, reference, details) for everything on file, newest
    first. Four queries, whatever the record's length."""
    vendor = customer.vendor
    rows: list[tuple] = []
    mine = Q(customer=customer) | Q(signed_in_customer=customer)
    for declaration in CancellationDeclaration.objects.filter(mine, vendor=vendor):
        rows.append(
            (
                declaration.created_at,
                _("Cancellation declared"),
                declaration.order_number,
                f"{declaration.get_kind_display()}; {declaration.get_status_display()}",
            )
        )
    for withdrawal in WithdrawalDeclaration.objects.filter(
        Q(order__customer=customer) | Q(signed_in_customer=customer), vendor=vendor
    ):
        rows.append(
            (
                withdrawal.created_at,
                _("Withdrawal declared"),
                withdrawal.order_number,
                withdrawal.get_status_display(),
            )
        )
    for reminder in Reminder.objects.filter(
        vendor=vendor, subscription__customer=customer, sent_at__isnull=False
    ).select_related("subscription"):
        rows.append(
            (
                reminder.sent_at,
                _("Reminder sent"),
                reminder.subscription.product,
                f"{reminder.get_kind_display()}; {reminder.amount} {reminder.currency}",
            )
        )
    for event in AuditEvent.objects.filter(
        vendor=vendor, customer=customer, action__in=AUDITED
    ).select_related("subscription"):
        rows.append(
            (
                event.created_at,
                event.action,
                event.subscription.product_name if event.subscription else "",
                str(event.details.get("source") or event.details.get("mode") or ""),
            )
        )
    rows.sort(key=lambda row: row[0], reverse=True)
    return rows


def customer_record_csv(*, customer: Customer) -> Iterator[str]:
    vendor = customer.vendor
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Date and time"), _("What"), _("Reference"), _("Details")])
    for when, what, reference, details in customer_record_rows(customer=customer):
        # Formula characters first would run in a spreadsheet: quote them.
        cells = [local_datetime(when, vendor, "medium") + f" ({vendor.timezone})", what]
        cells += [_safe(reference), _safe(details)]
        writer.writerow(cells)
    yield buffer.getvalue()


def _safe(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value
