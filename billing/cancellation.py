"""Click to cancel: a customer ends their own subscription in the hub.

The processor is asked first; our rows change only once it agreed, so the
hub never says "cancelled" while the card keeps being charged. Every write
of what the processor agreed to moves updated_at (`.update()` does not by
itself), so a webhook's read of the subscription that began before it is
read again rather than recorded over it (billing.processors.object_reads).
The claims do not: they write only the claim columns, which a webhook's
record cannot undo (it clears cancel_requested_at only on a row cancelled
for period end, which a Cancel claim never is, and never writes
keep_requested_at), and a customer's clicks would otherwise throw away
every read made meanwhile. Each
cancellation is written to the audit trail with time, IP, user agent, mode
and the optional reason: the record that automatic-renewal laws ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vendors.formatting import language_pick
from vendors.languages import page_language
from vendors.models import Vendor

from .audit import audit_record
from .models import AuditEvent, Subscription
from .processors.adapters import adapter_for
from .processors.adapters.base import ProcessorError, ProcessorSubscription

# A claim older than this is taken to be a request that died half way (the
# process was killed between the claim and the processor's answer).
CLAIM_TIMEOUT = timedelta(minutes=2)

CANCEL_REASONS = [
    ("too_expensive", _("It costs too much")),
    ("not_using", _("I don’t use it enough")),
    ("switching", _("I’m switching to something else")),
    ("missing_features", _("It’s missing something I need")),
    ("technical", _("It didn’t work well for me")),
    ("other", _("Another reason")),
]

ENDED = frozenset({Subscription.Status.CANCELED})


class CancelInProgress(Exception):
    """Another request is cancelling (or has cancelled) this subscription."""


@dataclass(frozen=True)
class CancelPlan:
    """What a cancellation will do, shown on the confirmation page."""

    at_period_end: bool
    effective_at: datetime | None


def subscription_cancel_plan(*, subscription: Subscription) -> CancelPlan:
    """Now, or at the end of the period already paid for (the vendor's choice)."""
    at_period_end = subscription.vendor.cancel_mode == Vendor.CancelMode.PERIOD_END
    if at_period_end:
        end = subscription.current_period_end or subscription.trial_end
        if end is None or end <= timezone.now():
            # Nothing paid for remains: ending "at period end" would mean now.
            return CancelPlan(at_period_end=False, effective_at=None)
        return CancelPlan(at_period_end=True, effective_at=end)
    return CancelPlan(at_period_end=False, effective_at=None)


def subscription_can_cancel(*, subscription: Subscription) -> bool:
    return (
        subscription.vendor.self_cancel
        and subscription.status not in ENDED
        and not subscription.cancel_at_period_end
    )


def _claim(subscription: Subscription, now: datetime) -> bool:
    """Mark the cancellation as asked for, once. The condition is checked by
    the UPDATE itself, so of two concurrent submits exactly one goes on to
    the processor; the other is shown the outcome of the first."""
    stale = now - CLAIM_TIMEOUT
    return (
        Subscription.objects.filter(pk=subscription.pk, cancel_at_period_end=False)
        .exclude(status=Subscription.Status.CANCELED)
        .filter(Q(cancel_requested_at__isnull=True) | Q(cancel_requested_at__lt=stale))
        .update(cancel_requested_at=now)
        == 1
    )


def _release(subscription: Subscription, claimed_at: datetime) -> None:
    Subscription.objects.filter(pk=subscription.pk, cancel_requested_at=claimed_at).update(
        cancel_requested_at=None
    )


def subscription_cancel(
    *,
    subscription: Subscription,
    request: HttpRequest | None,
    reason_code: str = "",
    reason_text: str = "",
    source: str = "",
    actor: str = AuditEvent.Actor.CUSTOMER,
    user=None,
    ip: str | None = None,
    user_agent: str = "",
    now_regardless_of_mode: bool = False,
) -> Subscription:
    """Cancel at the processor, then record it here, audit it and email the
    customer. Raises ProcessorError (nothing changed) or CancelInProgress.

    `source` names where the cancellation came from when it is not the
    signed-in hub (the public cancellation page, a vendor acting on a
    cancellation request); `ip` and `user_agent` are the declaring browser's
    when the work runs outside its request. `now_regardless_of_mode` ends it
    at once whatever the vendor's cancel_mode (a withdrawal from the contract)."""
    now = timezone.now()
    plan = subscription_cancel_plan(subscription=subscription)
    if now_regardless_of_mode:
        plan = CancelPlan(at_period_end=False, effective_at=None)
    if not _claim(subscription, now):
        raise CancelInProgress
    try:
        adapter = adapter_for(vendor=subscription.vendor, processor=subscription.processor)
        remote = adapter.subscription_cancel(
            subscription_id=subscription.processor_id,
            at_period_end=plan.at_period_end,
            reason=_reason_for_processor(reason_code, reason_text),
            idempotency_key=f"hub-cancel-{subscription.pk}-{int(now.timestamp())}",
        )
    except ProcessorError:
        _release(subscription, now)
        raise
    # The code (stable, whatever the language) and the customer's own words.
    reason = " — ".join(p for p in [reason_code, reason_text] if p)
    with transaction.atomic():
        subscription.cancel_requested_at = now
        subscription.cancel_reason = str(reason)[:500]
        if plan.at_period_end:
            subscription.cancel_at_period_end = True
            subscription.current_period_end = remote.current_period_end or plan.effective_at
            subscription.next_payment_at = None
            effective_at = subscription.current_period_end
        else:
            subscription.status = Subscription.Status.CANCELED
            subscription.cancel_at_period_end = False
            subscription.canceled_at = remote.canceled_at or now
            subscription.next_payment_at = None
            effective_at = subscription.canceled_at
        # Only what the cancellation decides: the row may be a copy read
        # before a webhook recorded a new card or period, which a full save
        # would put back.
        subscription.save(
            update_fields=[
                "cancel_requested_at",
                "cancel_reason",
                "cancel_at_period_end",
                "current_period_end",
                "status",
                "canceled_at",
                "next_payment_at",
                "updated_at",
            ]
        )
        audit_record(
            vendor=subscription.vendor,
            action="subscription.canceled",
            actor=actor,
            user=user,
            customer=subscription.customer,
            subscription=subscription,
            request=request,
            ip=ip,
            user_agent=user_agent,
            details={
                **({"source": source} if source else {}),
                "mode": "period_end" if plan.at_period_end else "immediately",
                "effective_at": effective_at.isoformat() if effective_at else None,
                "requested_at": now.isoformat(),
                "reason_code": reason_code,
                "reason_text": reason_text[:500],
                "processor": subscription.processor,
                "processor_id": subscription.processor_id,
            },
        )
        from .tasks import subscription_canceled_notify_task

        transaction.on_commit(
            partial(
                subscription_canceled_notify_task.delay, subscription.pk, page_language(request)
            )
        )
    return subscription


def _reason_for_processor(reason_code: str, reason_text: str) -> str:
    label = str(dict(CANCEL_REASONS).get(reason_code, ""))
    return " — ".join(p for p in [label, reason_text] if p)[:120]


class KeepInProgress(Exception):
    """Another request is keeping (or has kept) this subscription."""


def _keep_claim(subscription: Subscription, now: datetime) -> bool:
    """Mark "Keep" as asked for, once, like _claim does for Cancel: of two
    concurrent Keep POSTs exactly one calls the processor and writes the
    audit record. The UPDATE also checks that the cancellation is still the
    one the customer made (same cancel_requested_at)."""
    stale = now - CLAIM_TIMEOUT
    return (
        Subscription.objects.filter(
            pk=subscription.pk,
            cancel_at_period_end=True,
            cancel_requested_at=subscription.cancel_requested_at,
        )
        .exclude(status=Subscription.Status.CANCELED)
        .filter(Q(keep_requested_at__isnull=True) | Q(keep_requested_at__lt=stale))
        .update(keep_requested_at=now)
        == 1
    )


def _made_in_the_hub(subscription: Subscription) -> bool:
    """Does our audit trail say that the cancellation in force is one the
    customer made in the hub, for the period's end? A cancellation the
    vendor scheduled at the processor has no such record, and a customer
    must not undo what the vendor decided."""
    last = (
        AuditEvent.objects.filter(
            subscription=subscription,
            action__in=["subscription.canceled", "subscription.cancel_undone"],
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    requested_at = subscription.cancel_requested_at
    return (
        last is not None
        and requested_at is not None
        and last.action == "subscription.canceled"
        and last.actor == AuditEvent.Actor.CUSTOMER
        and last.details.get("mode") == "period_end"
        and last.details.get("requested_at") == requested_at.isoformat()
    )


def subscription_cancel_undo(*, subscription: Subscription, request: HttpRequest | None) -> None:
    """ "Keep my subscription": take back a cancellation the customer set for
    period end in the hub, while the period lasts, at a vendor that lets
    customers cancel. Raises ProcessorError (nothing changed) or
    KeepInProgress.

    Claimed like Cancel, then the processor is asked; the row is written with
    only the fields Keep changes (a stale copy saved whole could undo a
    webhook's update made meanwhile), and the customer gets an email: the
    last one they hold otherwise says "cancelled".
    """
    if not subscription_can_undo(subscription=subscription):
        raise ProcessorError(
            _("This subscription can no longer be kept: its paid period is over."),
            code="invalid",
        )
    if not _made_in_the_hub(subscription):
        raise ProcessorError(
            _("This cancellation was not made here. Please contact us to keep your subscription."),
            code="invalid",
        )
    now = timezone.now()
    if not _keep_claim(subscription, now):
        raise KeepInProgress
    try:
        adapter = adapter_for(vendor=subscription.vendor, processor=subscription.processor)
        remote = adapter.subscription_cancel_undo(
            subscription_id=subscription.processor_id,
            idempotency_key=f"hub-keep-{subscription.pk}-{int(now.timestamp())}",
        )
    except ProcessorError:
        Subscription.objects.filter(pk=subscription.pk, keep_requested_at=now).update(
            keep_requested_at=None
        )
        raise
    changes = {
        "cancel_at_period_end": False,
        "cancel_requested_at": None,
        "cancel_reason": "",
        "next_payment_at": remote.next_payment_at or subscription.current_period_end,
        "keep_requested_at": None,
    }
    with transaction.atomic():
        # updated_at is the moment of this write, after the processor
        # answered: a webhook's read that began before it is not recorded
        # (billing.processors.object_reads).
        kept = Subscription.objects.filter(pk=subscription.pk, keep_requested_at=now).update(
            **changes, updated_at=timezone.now()
        )
        if not kept:
            # Our claim went stale and another request took it over: that
            # one records the outcome.
            raise KeepInProgress
        for name, value in changes.items():
            setattr(subscription, name, value)
        event = audit_record(
            vendor=subscription.vendor,
            action="subscription.cancel_undone",
            actor=AuditEvent.Actor.CUSTOMER,
            customer=subscription.customer,
            subscription=subscription,
            request=request,
            details={"processor": subscription.processor},
        )
        from .tasks import subscription_kept_notify_task

        transaction.on_commit(
            partial(subscription_kept_notify_task.delay, event.pk, page_language(request))
        )


def subscription_can_undo(*, subscription: Subscription) -> bool:
    """Is "Keep my subscription" offered? Only for a cancellation set for the
    period's end by the customer in the hub (cancel_requested_at is written
    by subscription_cancel only; one the vendor scheduled at the processor
    leaves it empty), only where the vendor lets customers cancel, and only
    while the period lasts. subscription_cancel_undo also checks the audit
    record; this is what the pages can tell without a query."""
    end = subscription.current_period_end
    return (
        subscription.vendor.self_cancel
        and subscription.cancel_at_period_end
        and subscription.cancel_requested_at is not None
        and subscription.status not in ENDED
        and end is not None
        and end > timezone.now()
    )


def subscription_period_end_finalize(*, subscription: Subscription) -> None:
    """At the end of the paid period, end a subscription the customer
    cancelled for then (PayPal needs our call; Stripe has ended it itself and
    we only read its state). Safe to run twice."""
    if subscription.status in ENDED or not subscription.cancel_at_period_end:
        return
    adapter = adapter_for(vendor=subscription.vendor, processor=subscription.processor)
    remote: ProcessorSubscription = adapter.subscription_finalize_period_end(
        subscription_id=subscription.processor_id,
        idempotency_key=f"hub-finalize-{subscription.pk}",
    )
    if remote.status != Subscription.Status.CANCELED:
        return
    subscription.status = Subscription.Status.CANCELED
    subscription.canceled_at = remote.canceled_at or subscription.current_period_end
    subscription.next_payment_at = None
    subscription.save(update_fields=["status", "canceled_at", "next_payment_at", "updated_at"])
    audit_record(
        vendor=subscription.vendor,
        action="subscription.ended",
        actor=AuditEvent.Actor.SYSTEM,
        customer=subscription.customer,
        subscription=subscription,
        details={"processor": subscription.processor},
    )


def subscriptions_due_for_finalizing():
    return Subscription.objects.filter(
        cancel_at_period_end=True, current_period_end__lte=timezone.now()
    ).exclude(status=Subscription.Status.CANCELED)


def subscription_kept_notify(*, event: AuditEvent, language: str = "") -> None:
    """The "you kept your subscription" email, for the Keep that `event`
    recorded (its time, not whatever the subscription became since); in the
    customer's stored language, else `language` (the page's), else the
    vendor's."""
    from vendors.mail import mail_send

    subscription = event.subscription
    if subscription is None:
        return
    mail_send(
        vendor=subscription.vendor,
        to=subscription.customer.email,
        template="subscription_kept",
        language=language_pick(subscription.vendor, subscription.customer.language, language),
        context={
            "customer": subscription.customer,
            "subscription": subscription,
            "kept_at": event.created_at,
            "next_payment_at": subscription.next_payment_at,
        },
    )


def subscription_canceled_notify(*, subscription: Subscription, language: str = "") -> None:
    """The cancellation confirmation, in the customer's stored language,
    else `language` (the page they cancelled on), else the vendor's."""
    from vendors.mail import mail_send

    mail_send(
        vendor=subscription.vendor,
        to=subscription.customer.email,
        template="subscription_canceled",
        language=language_pick(subscription.vendor, subscription.customer.language, language),
        context={
            "customer": subscription.customer,
            "subscription": subscription,
            "requested_at": subscription.cancel_requested_at or timezone.now(),
            "effective_at": (
                subscription.current_period_end
                if subscription.cancel_at_period_end
                else subscription.canceled_at
            ),
            "at_period_end": subscription.cancel_at_period_end,
        },
    )
