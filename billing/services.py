"""Writes of the billing domain. Keyword-only, named <noun>_<verb>."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from .invoices import invoice_issue
from .models import Customer, Order, Payment, Subscription, normalize_email


def customer_get_or_create(*, vendor, email: str, **details) -> tuple[Customer, bool]:
    """The vendor's customer with this email (in any case), created if new."""
    return vendor.customers.get_or_create(email=normalize_email(email), defaults=details)


def order_create(
    *,
    customer: Customer,
    number: str,
    product: str,
    amount: Decimal,
    currency: str,
    status: str,
    processor: str,
    created_at: datetime,
    subscription: Subscription | None = None,
    processor_ref: str = "",
) -> Order:
    return Order.objects.create(
        vendor=customer.vendor,
        customer=customer,
        number=number,
        product=product,
        amount=amount,
        currency=currency,
        status=status,
        processor=processor,
        processor_ref=processor_ref,
        subscription=subscription,
        created_at=created_at,
    )


@transaction.atomic
def payment_record(
    *,
    order: Order,
    amount: Decimal,
    status: str,
    created_at: datetime,
    subscription: Subscription | None = None,
    failure_message: str = "",
    processor_ref: str = "",
    card_brand: str = "",
    card_last4: str = "",
) -> Payment:
    """Record one charge attempt; a paid one is invoiced in the same transaction."""
    paid = status in {Payment.Status.PAID, Payment.Status.REFUNDED}
    payment = Payment.objects.create(
        vendor=order.vendor,
        customer=order.customer,
        order=order,
        subscription=subscription,
        amount=amount,
        currency=order.currency,
        status=status,
        created_at=created_at,
        paid_at=created_at if paid else None,
        failed_at=created_at if status == Payment.Status.FAILED else None,
        failure_message=failure_message,
        processor=order.processor,
        processor_ref=processor_ref,
        card_brand=card_brand,
        card_last4=card_last4,
    )
    if paid:
        invoice_issue(payment=payment)
    return payment
