"""Receipts and failed-payment notices: one email per payment, whatever
retries or redeliveries happen.

The claim (`receipt_sent_at` / `failure_notice_sent_at`) is set in the same
transaction as the send: a send that raises rolls the claim back so the
task's retry sends it, and a second run finds the claim and sends nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import Payment
from vendors.mail import mail_send


def hub_access_url(*, vendor, email: str, next_path: str = "") -> str:
    """The vendor's hub access page with the email filled in (and where to go
    after sign-in). Built from SITE_URL; it carries no token: the customer
    still proves the address by the emailed link."""
    query = {"email": email}
    if next_path:
        query["next"] = next_path
    return f"{vendor.hub_url}?{urlencode(query)}"


@transaction.atomic
def payment_receipt_send(*, payment_id: int) -> bool:
    """Send the receipt of a newly paid payment, once. Returns whether sent."""
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("vendor", "customer", "order", "invoice")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None or payment.receipt_sent_at is not None:
        return False
    vendor = payment.vendor
    if not vendor.send_receipts or payment.status == Payment.Status.FAILED:
        return False
    payment.receipt_sent_at = timezone.now()
    payment.save(update_fields=["receipt_sent_at"])
    invoice = getattr(payment, "invoice", None)
    detailed = vendor.receipt_style == vendor.ReceiptStyle.DETAILED
    mail_send(
        vendor=vendor,
        to=payment.customer.email,
        template="receipt",
        language=payment.customer.mail_language,
        context={
            "customer": payment.customer,
            "payment": payment,
            "invoice": invoice,
            "detailed": detailed,
            "button_url": (
                hub_access_url(vendor=vendor, email=payment.customer.email)
                if detailed and vendor.email_button
                else ""
            ),
        },
    )
    return True


@transaction.atomic
def payment_failed_notify(*, payment_id: int) -> bool:
    """Tell the customer a payment failed, what failed, and where to fix the
    card (through the access page). Once per payment."""
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("vendor", "customer", "order", "subscription")
        .filter(pk=payment_id, status=Payment.Status.FAILED)
        .first()
    )
    if payment is None or payment.failure_notice_sent_at is not None:
        return False
    vendor = payment.vendor
    payment.failure_notice_sent_at = timezone.now()
    payment.save(update_fields=["failure_notice_sent_at"])
    next_path = ""
    if payment.subscription_id:
        next_path = reverse(
            "hub:card", kwargs={"account": vendor.slug, "subscription_id": payment.subscription_id}
        )
    mail_send(
        vendor=vendor,
        to=payment.customer.email,
        template="payment_failed",
        language=payment.customer.mail_language,
        context={
            "customer": payment.customer,
            "payment": payment,
            "product": payment.subscription.product_name
            if payment.subscription
            else payment.order.product_name,
            "card_url": hub_access_url(
                vendor=vendor, email=payment.customer.email, next_path=next_path
            ),
        },
    )
    return True
