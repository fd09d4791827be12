"""The withdrawal function (EU Art. 11a CRD, § 356a BGB): within the
withdrawal period a customer withdraws from a purchase in two steps, gets an
acknowledgement with date and time, and the vendor refunds it.

As with cancellations, the declaration is committed in a transaction of its
own before anything else, and the acknowledgement reads the same whether or
not the email and Order ID are known: matching runs in a task. Staff carry a
withdrawal out with one admin action: every paid payment of the order is
refunded in full at the processor (then recorded by the refund service, with
its credit note) and its subscription ends now, in the audit trail.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone

from billing.audit import audit_record
from billing.cancellation import CancelInProgress, subscription_cancel
from billing.models import AuditEvent, Customer, Order, Payment, Subscription
from billing.processors.adapters import adapter_for
from billing.processors.adapters.base import ProcessorError
from billing.refunds import refund_record
from vendors.models import Vendor

from .cancellations import declaration_token_hash, queue_or_leave_to_sweep, send_claimed
from .models import WithdrawalDeclaration

WITHDRAWABLE_STATUSES = (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED)


def order_withdrawal_ends_at(*, order: Order, vendor: Vendor) -> datetime | None:
    """When the order's withdrawal period ends; None when it has none (the
    vendor's period is 0, or the customer waived the right)."""
    days = vendor.withdrawal_period_days
    if days <= 0 or order.withdrawal_waived:
        return None
    return order.created_at + timedelta(days=days)


def order_in_withdrawal_period(
    *, order: Order, vendor: Vendor, now: datetime | None = None
) -> bool:
    ends = order_withdrawal_ends_at(order=order, vendor=vendor)
    return (
        ends is not None
        and (now or timezone.now()) < ends
        and order.status in WITHDRAWABLE_STATUSES
    )


def withdrawable_orders(*, customer: Customer) -> list[Order]:
    """The customer's orders still inside their withdrawal period (one query)."""
    vendor = customer.vendor
    days = vendor.withdrawal_period_days
    if days <= 0:
        return []
    since = timezone.now() - timedelta(days=days)
    return list(
        Order.objects.filter(
            vendor_id=customer.vendor_id,
            customer=customer,
            created_at__gt=since,
            withdrawal_waived=False,
            status__in=WITHDRAWABLE_STATUSES,
        ).order_by("-created_at", "-pk")
    )


def withdrawable_order_numbers(*, customer: Customer) -> frozenset[str]:
    return frozenset(order.number for order in withdrawable_orders(customer=customer))


def withdrawal_record(
    *,
    vendor: Vendor,
    name: str,
    email: str,
    order_number: str,
    signed_in_customer: Customer | None,
    ip: str | None,
    user_agent: str,
    language: str,
) -> tuple[WithdrawalDeclaration, str]:
    """Store the withdrawal, committed on return; queue its processing and
    its acknowledgement. Returns it with its confirmation page's token."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        declaration = WithdrawalDeclaration.objects.create(
            vendor=vendor,
            created_at=timezone.now().replace(microsecond=0),
            ip=ip,
            user_agent=user_agent[:300],
            name=name,
            email=email,
            order_number=order_number,
            signed_in_customer=signed_in_customer,
            language=language,
            token_hash=declaration_token_hash(token),
        )
    from .tasks import withdrawal_confirm_task, withdrawal_process_task

    queue_or_leave_to_sweep(withdrawal_confirm_task, declaration.pk)
    queue_or_leave_to_sweep(withdrawal_process_task, declaration.pk)
    return declaration, token


def withdrawal_for_token(*, vendor: Vendor, token: str) -> WithdrawalDeclaration | None:
    if not token or len(token) > 100:
        return None
    return WithdrawalDeclaration.objects.filter(
        vendor=vendor, token_hash=declaration_token_hash(token)
    ).first()


def withdrawal_match(*, declaration: WithdrawalDeclaration) -> Order | None:
    """The order the declaration names: the signed-in customer's, or the
    Order ID's when the typed email is its customer's."""
    orders = Order.objects.select_related("customer", "subscription").filter(
        vendor=declaration.vendor, number__iexact=declaration.order_number
    )
    if declaration.signed_in_customer_id:
        orders = orders.filter(customer_id=declaration.signed_in_customer_id)
    else:
        orders = orders.filter(customer__email=declaration.email)
    found = list(orders[:2])
    return found[0] if len(found) == 1 else None


def withdrawal_process(*, declaration: WithdrawalDeclaration) -> None:
    """Match the order and hand the withdrawal to the vendor. Safe to run twice."""
    if declaration.status != WithdrawalDeclaration.Status.RECEIVED:
        return
    order = withdrawal_match(declaration=declaration)
    in_period = (
        order_in_withdrawal_period(
            order=order, vendor=declaration.vendor, now=declaration.created_at
        )
        if order is not None
        else None
    )
    with transaction.atomic():
        updated = WithdrawalDeclaration.objects.filter(
            pk=declaration.pk, status=WithdrawalDeclaration.Status.RECEIVED
        ).update(status=WithdrawalDeclaration.Status.OPEN, order=order, in_period=in_period)
        if updated:
            from .tasks import withdrawal_vendor_notify_task

            transaction.on_commit(partial(withdrawal_vendor_notify_task.delay, declaration.pk))


class WithdrawalNotOpen(Exception):
    """Handled already."""


def withdrawal_refund(*, declaration: WithdrawalDeclaration, user) -> Order:
    """Staff carry out a withdrawal: refund each paid payment of the order in
    full at the processor, record the refunds, end its subscription now, and
    audit it. Raises ProcessorError (what was refunded stays refunded and
    recorded; the withdrawal stays open to try again) or WithdrawalNotOpen."""
    if declaration.status != WithdrawalDeclaration.Status.OPEN:
        raise WithdrawalNotOpen
    if declaration.order_id is None:
        raise ProcessorError("This withdrawal names no order of yours.", code="invalid")
    order = Order.objects.select_related("vendor", "customer").get(
        pk=declaration.order_id, vendor=declaration.vendor
    )
    refunded = Decimal("0")
    payments = Payment.objects.filter(
        order=order,
        vendor=order.vendor,
        status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED],
    ).order_by("pk")
    for payment in payments:
        remaining = payment.amount - payment.amount_refunded
        if remaining <= 0:
            continue
        adapter = adapter_for(vendor=order.vendor, processor=payment.processor)
        refund_create = getattr(adapter, "refund_create", None)
        if refund_create is None:
            raise ProcessorError(
                f"Refund {payment.processor} payments at {payment.processor} itself.",
                code="unsupported",
            )
        remote = refund_create(
            charge_id=payment.processor_ref,
            amount=None if payment.amount_refunded == 0 else remaining,
            idempotency_key=f"hub-withdrawal-{declaration.pk}-{payment.pk}-{payment.processor_ref}",
        )
        refund_record(
            payment=payment,
            amount=remote.amount,
            reason="withdrawal",
            refunded_at=remote.created or timezone.now(),
            processor_ref=remote.id,
        )
        refunded += remote.amount
    subscription = order.subscription
    if subscription is not None and subscription.status != Subscription.Status.CANCELED:
        subscription = Subscription.objects.select_related("vendor", "customer").get(
            pk=subscription.pk
        )
        with contextlib.suppress(CancelInProgress):  # ended meanwhile by another request
            subscription_cancel(
                subscription=subscription,
                request=None,
                source="withdrawal",
                actor=AuditEvent.Actor.STAFF,
                user=user,
                ip=declaration.ip,
                user_agent=declaration.user_agent,
                now_regardless_of_mode=True,
            )
    with transaction.atomic():
        updated = WithdrawalDeclaration.objects.filter(
            pk=declaration.pk, status=WithdrawalDeclaration.Status.OPEN
        ).update(
            status=WithdrawalDeclaration.Status.DONE, handled_at=timezone.now(), handled_by=user
        )
        if not updated:
            raise WithdrawalNotOpen
        audit_record(
            vendor=order.vendor,
            action="order.withdrawn",
            actor=AuditEvent.Actor.STAFF,
            user=user,
            customer=order.customer,
            subscription=order.subscription,
            ip=declaration.ip,
            user_agent=declaration.user_agent,
            details={
                "order": order.number,
                "declared_at": declaration.created_at.isoformat(),
                "refunded": str(refunded),
                "currency": order.currency,
                "withdrawal_id": declaration.pk,
            },
        )
    declaration.status = WithdrawalDeclaration.Status.DONE
    return order


def withdrawal_confirm_send(*, declaration: WithdrawalDeclaration) -> None:
    """The acknowledgement on a durable medium: content, date and time."""
    send_claimed(
        declaration,
        "confirmation_sent_at",
        "confirmation_claimed_until",
        vendor=declaration.vendor,
        to=declaration.email,
        template="withdrawal_received",
        # The language of the page the declaration was made on.
        language=declaration.language,
        context={"declaration": declaration},
    )


def withdrawal_vendor_notify(*, declaration: WithdrawalDeclaration) -> None:
    vendor = declaration.vendor
    if not vendor.support_email:
        return
    from django.conf import settings

    send_claimed(
        declaration,
        "vendor_notified_at",
        "vendor_notice_claimed_until",
        vendor=vendor,
        to=vendor.support_email,
        template="withdrawal_vendor",
        context={
            "declaration": declaration,
            "admin_url": f"{settings.SITE_URL}/admin/rights/withdrawaldeclaration/"
            f"{declaration.pk}/change/",
        },
    )
