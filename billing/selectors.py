"""Reads of the billing domain. Keyword-only, named <noun>_<verb>.

Every read starts from the signed-in customer (and so from their vendor):
nothing here can return another tenant's rows.
"""

from django.db.models import QuerySet

from .models import AuditEvent, Customer, Invoice, Payment, Subscription, normalize_email

# The purchase history's sort keys (the `?sort=` values) and their ORDER BY.
# Each ends with the primary key so that rows with equal values (same date,
# same price) keep one order across pages and between the page and the CSV.
PURCHASE_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("created_at", "id"),
    "-date": ("-created_at", "-id"),
    "price": ("amount", "id"),
    "-price": ("-amount", "-id"),
    "order": ("order__number", "id"),
    "-order": ("-order__number", "-id"),
    "status": ("status", "id"),
    "-status": ("-status", "-id"),
}
PURCHASE_SORT_DEFAULT = "-date"


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
        Payment.objects.filter(vendor_id=customer.vendor_id, customer=customer)
        .select_related("order", "invoice")
        .order_by(*ordering)
    )


def payment_recent(*, customer: Customer, limit: int = 3) -> list[Payment]:
    """The customer's latest few payments, for the dashboard's summary."""
    return list(payment_history(customer=customer)[:limit])


def subscription_list_with_card(*, customer: Customer) -> list[Subscription]:
    """The customer's subscriptions that still charge a card (active or past
    due), each with the card summary stored on it."""
    return list(
        Subscription.objects.filter(
            vendor_id=customer.vendor_id,
            customer=customer,
            status__in=[Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE],
        ).order_by("-created_at", "-id")
    )


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
