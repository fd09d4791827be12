"""The public cancellation page's services: record a declaration, then carry
it out or hand it to the vendor as a cancellation request.

The order matters and is the point of this module:

1. `declaration_record` writes the declaration in a transaction of its own
   and commits it, before anything else runs. Whatever fails afterwards
   (the processor, the mail server, a worker killed half way), the
   customer's declaration is on file with its time, IP and browser.
2. `declaration_process` runs in a task. The web answer therefore takes the
   same path and time whoever typed the form: the page is no way to learn
   whether an email or an Order ID belongs to a customer.
3. Only an ordinary cancellation "as soon as possible" whose email and
   Order ID match one subscription of this vendor, at a vendor that lets
   customers cancel in the hub, is carried out at once, through the
   cancellation service (processor first). The address on file gets the
   usual cancellation email with "Keep my subscription", so a stranger who
   knows an email and an Order ID cannot silently end someone's contract.
   Everything else becomes a request the vendor's staff decide on.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import partial

import redis
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from billing.cancellation import CancelInProgress, subscription_can_cancel, subscription_cancel
from billing.models import AuditEvent, Customer, Subscription
from billing.processors.adapters.base import ProcessorError
from vendors.models import Vendor

from .models import CancellationDeclaration

logger = logging.getLogger(__name__)
# The broker not answering when a declaration's work is queued.
QUEUE_ERRORS: tuple[type[BaseException], ...] = (
    BrokerError,
    redis.ConnectionError,
    redis.TimeoutError,
)

SOURCE = "cancellation page"
SOURCE_REQUEST = "cancellation request"
# A claimed email not marked sent after this is taken to be a run that died.
SEND_LEASE = timedelta(minutes=5)


def declaration_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def declaration_record(
    *,
    vendor: Vendor,
    data: dict,
    signed_in_customer: Customer | None,
    ip: str | None,
    user_agent: str,
    language: str,
) -> tuple[CancellationDeclaration, str]:
    """Store the declaration, committed on return, and queue its processing
    and its confirmation email. Returns it with the secret token of its
    confirmation page (only the token's hash is stored)."""
    token = secrets.token_urlsafe(32)
    picked: Subscription | None = data.get("subscription")
    order_number = data.get("order_number") or ""
    if picked is not None:
        order = getattr(picked, "order", None)
        order_number = order.number if order is not None else order_number
    # Its own transaction, even when called inside another: the declaration
    # must be committed before anything that could fail runs.
    with transaction.atomic(durable=True):
        declaration = CancellationDeclaration.objects.create(
            vendor=vendor,
            created_at=timezone.now().replace(microsecond=0),
            ip=ip,
            user_agent=user_agent[:300],
            kind=data["kind"],
            reason=data.get("reason", "").strip()
            if data["kind"] == CancellationDeclaration.Kind.EXTRAORDINARY
            else "",
            name=data["name"],
            email=data["email"],
            order_number=order_number,
            when=data["when"],
            requested_date=data.get("requested_date"),
            signed_in_customer=signed_in_customer if picked is not None else None,
            subscription=picked,
            language=language,
            token_hash=declaration_token_hash(token),
        )
    from .tasks import declaration_confirm_task, declaration_process_task

    queue_or_leave_to_sweep(declaration_confirm_task, declaration.pk)
    queue_or_leave_to_sweep(declaration_process_task, declaration.pk)
    return declaration, token


def queue_or_leave_to_sweep(task, pk: int) -> None:
    """Queue `task` for a stored declaration. With the broker down the
    declaration is on file all the same: the customer is shown its
    confirmation, not a 503 inviting a second declaration, and
    `declarations_sweep` (Celery beat) queues the work once the broker is back."""
    try:
        task.delay(pk)
    except QUEUE_ERRORS as error:
        logger.warning("declaration %s: %s not queued (%s)", pk, task.name, type(error).__name__)


# How long a declaration may wait for its task before the sweep queues it again.
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_WINDOW = timedelta(days=7)
SWEEP_BATCH = 500


def declarations_sweep() -> int:
    """Queue the work that declarations still wait for: processing, the
    customer's confirmation, the vendor's notice (cancellations and
    withdrawals). The emails are claimed, so a task queued twice sends once.
    Returns how many tasks were queued."""
    from . import tasks
    from .models import WithdrawalDeclaration

    now = timezone.now()
    recent = {"created_at__lt": now - SWEEP_AFTER, "created_at__gt": now - SWEEP_WINDOW}
    queued = 0
    for rows, process, confirm, notify in [
        (
            CancellationDeclaration.objects.filter(**recent),
            tasks.declaration_process_task,
            tasks.declaration_confirm_task,
            tasks.request_vendor_notify_task,
        ),
        (
            WithdrawalDeclaration.objects.filter(**recent),
            tasks.withdrawal_process_task,
            tasks.withdrawal_confirm_task,
            tasks.withdrawal_vendor_notify_task,
        ),
    ]:
        for task, pks in [
            (process, rows.filter(status="received")),
            (confirm, rows.filter(confirmation_sent_at__isnull=True)),
            (
                notify,
                rows.filter(status="open", vendor_notified_at__isnull=True).exclude(
                    vendor__support_email=""
                ),
            ),
        ]:
            for pk in pks.values_list("pk", flat=True)[:SWEEP_BATCH]:
                task.delay(pk)
                queued += 1
    return queued


def declaration_for_token(*, vendor: Vendor, token: str) -> CancellationDeclaration | None:
    if not token or len(token) > 100:
        return None
    return (
        CancellationDeclaration.objects.filter(
            vendor=vendor, token_hash=declaration_token_hash(token)
        )
        .select_related("subscription")
        .first()
    )


def declaration_match(*, declaration: CancellationDeclaration) -> Subscription | None:
    """The one subscription of this vendor the declaration names: picked by
    the signed-in customer, or the Order ID's subscription when the typed
    email is that customer's. None when nothing (or not exactly one) fits."""
    if declaration.subscription_id and declaration.signed_in_customer_id:
        return (
            Subscription.objects.select_related("vendor", "customer")
            .filter(
                vendor=declaration.vendor,
                pk=declaration.subscription_id,
                customer_id=declaration.signed_in_customer_id,
            )
            .first()
        )
    if not declaration.order_number:
        return None
    found = list(
        Subscription.objects.select_related("vendor", "customer").filter(
            vendor=declaration.vendor,
            order__vendor=declaration.vendor,
            order__number__iexact=declaration.order_number,
            customer__email=declaration.email,
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def _carried_out_automatically(declaration: CancellationDeclaration, match: Subscription) -> bool:
    return (
        declaration.kind == CancellationDeclaration.Kind.ORDINARY
        and declaration.when == CancellationDeclaration.When.ASAP
        and declaration.vendor.self_cancel
        and subscription_can_cancel(subscription=match)
    )


def declaration_process(*, declaration: CancellationDeclaration) -> None:
    """Carry the declaration out, or open a cancellation request. Safe to
    run twice: only a declaration still `received` is looked at, and the
    cancellation service's own claim lets one run reach the processor."""
    if declaration.status != CancellationDeclaration.Status.RECEIVED:
        return
    match = declaration_match(declaration=declaration)
    changes: dict = {"customer": match.customer if match else None, "subscription": match}
    if match is not None and _carried_out_automatically(declaration, match):
        try:
            subscription_cancel(
                subscription=match,
                request=None,
                reason_code="",
                reason_text="",
                source=SOURCE,
                ip=declaration.ip,
                user_agent=declaration.user_agent,
            )
        except CancelInProgress:
            return  # another run (or the customer in the hub) is at it
        except ProcessorError as refused:
            # The declaration stays on file; the vendor's staff take it up.
            changes.update(
                status=CancellationDeclaration.Status.OPEN,
                processor_error=str(refused.message)[:500],
            )
        else:
            changes.update(status=CancellationDeclaration.Status.CARRIED_OUT)
    else:
        changes.update(status=CancellationDeclaration.Status.OPEN)
    _declaration_update(declaration, changes, expected=CancellationDeclaration.Status.RECEIVED)


def _declaration_update(
    declaration: CancellationDeclaration, changes: dict, *, expected: str
) -> bool:
    with transaction.atomic():
        updated = CancellationDeclaration.objects.filter(pk=declaration.pk, status=expected).update(
            **changes
        )
        if not updated:
            return False
        for name, value in changes.items():
            setattr(declaration, name, value)
        if declaration.status == CancellationDeclaration.Status.OPEN:
            from .tasks import request_vendor_notify_task

            transaction.on_commit(partial(request_vendor_notify_task.delay, declaration.pk))
    return True


class RequestNotOpen(Exception):
    """The request was handled already (by someone else, or a double click)."""


def request_cancel_subscription(*, declaration: CancellationDeclaration, user) -> Subscription:
    """Staff carry out an open request: cancel its matched subscription
    through the cancellation service (processor first). Raises
    ProcessorError (the request stays open), RequestNotOpen, or
    CancelInProgress."""
    if declaration.status != CancellationDeclaration.Status.OPEN:
        raise RequestNotOpen
    subscription = declaration.subscription
    if subscription is None:
        raise ProcessorError("This request names no subscription of yours.", code="invalid")
    subscription = Subscription.objects.select_related("vendor", "customer").get(
        pk=subscription.pk, vendor=declaration.vendor
    )
    if subscription.status != Subscription.Status.CANCELED and not (
        subscription.cancel_at_period_end
    ):
        subscription_cancel(
            subscription=subscription,
            request=None,
            source=SOURCE_REQUEST,
            actor=AuditEvent.Actor.STAFF,
            user=user,
            ip=declaration.ip,
            user_agent=declaration.user_agent,
        )
    request_mark_done(declaration=declaration, user=user)
    return subscription


def request_mark_done(*, declaration: CancellationDeclaration, user) -> None:
    if not _declaration_update(
        declaration,
        {
            "status": CancellationDeclaration.Status.DONE,
            "handled_at": timezone.now(),
            "handled_by": user,
        },
        expected=CancellationDeclaration.Status.OPEN,
    ):
        raise RequestNotOpen


def request_reject(*, declaration: CancellationDeclaration, user, message: str) -> None:
    """Reject an open request with a message the customer gets by email (at
    the address they typed)."""
    if not message.strip():
        raise ValueError("a rejection needs a message to the customer")
    changes = {
        "status": CancellationDeclaration.Status.REJECTED,
        "rejection_message": message.strip(),
        "handled_at": timezone.now(),
        "handled_by": user,
    }
    with transaction.atomic():
        if not _declaration_update(
            declaration, changes, expected=CancellationDeclaration.Status.OPEN
        ):
            raise RequestNotOpen
        from .tasks import request_rejected_notify_task

        transaction.on_commit(partial(request_rejected_notify_task.delay, declaration.pk))


# --- emails --------------------------------------------------------------------


def _claim_send(model, pk: int, sent_field: str, lease_field: str, now: datetime) -> bool:
    """Claim one email of a declaration, once: a redelivered task finds it
    claimed (or sent) and sends nothing."""
    return (
        model.objects.filter(pk=pk, **{f"{sent_field}__isnull": True})
        .filter(Q(**{f"{lease_field}__isnull": True}) | Q(**{f"{lease_field}__lt": now}))
        .update(**{lease_field: now + SEND_LEASE})
        == 1
    )


def send_claimed(declaration, sent_field: str, lease_field: str, **mail) -> None:
    """Send one email of a declaration (of either model) once: claimed with
    a lease first, marked sent after; a failed send gives the claim back so
    the task's retry sends it."""
    from vendors.mail import mail_send

    model = type(declaration)
    now = timezone.now()
    if not _claim_send(model, declaration.pk, sent_field, lease_field, now):
        return
    try:
        mail_send(**mail)
    except Exception:
        model.objects.filter(pk=declaration.pk).update(**{lease_field: None})
        raise
    model.objects.filter(pk=declaration.pk).update(
        **{sent_field: timezone.now(), lease_field: None}
    )


def declaration_confirm_send(*, declaration: CancellationDeclaration) -> None:
    """The confirmation of receipt, to the address typed: the same content
    as the page, whatever became of the declaration."""
    send_claimed(
        declaration,
        "confirmation_sent_at",
        "confirmation_claimed_until",
        vendor=declaration.vendor,
        to=declaration.email,
        template="cancellation_declared",
        # The language of the page the declaration was made on.
        language=declaration.language,
        context={"declaration": declaration},
    )


def request_vendor_notify(*, declaration: CancellationDeclaration) -> None:
    """Tell the vendor's support address that a cancellation request waits."""
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
        template="cancellation_request_vendor",
        context={
            "declaration": declaration,
            "admin_url": f"{settings.SITE_URL}/admin/rights/cancellationdeclaration/"
            f"{declaration.pk}/change/",
        },
    )


def request_rejected_notify(*, declaration: CancellationDeclaration) -> None:
    send_claimed(
        declaration,
        "rejection_sent_at",
        "rejection_claimed_until",
        vendor=declaration.vendor,
        to=declaration.email,
        template="cancellation_rejected",
        # The language of the page the declaration was made on.
        language=declaration.language,
        context={"declaration": declaration},
    )
