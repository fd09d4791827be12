"""Changing a customer's email: a confirmation link to the new address, and
the change itself only when that link is opened.

The email is what signs a customer in, so whoever changes it takes the
account. Asking for the change proves only a session (perhaps hijacked, or
left open on a shared computer); opening the link proves the new mailbox is
the customer's and was typed right. When the change is made, the old address
is told, and the customer's other sessions and unused access links end.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from billing.audit import audit_record
from billing.models import AuditEvent, Customer, normalize_email
from billing.services import customer_email_change, customer_update_profile
from vendors.formatting import language_pick
from vendors.languages import page_language
from vendors.mail import mail_send
from vendors.models import Vendor

from . import ratelimit
from .models import CustomerSession, EmailChange
from .services import access_links_revoke, task_after_commit
from .tokens import secret_hash, token_new

logger = logging.getLogger(__name__)

EMAIL_CHANGE_DONE = "done"
EMAIL_CHANGE_FAILED = "failed"  # the address is another customer's (never said so)
EMAIL_CHANGE_INVALID = "invalid"  # unknown, used, revoked or expired


def email_change_url(*, vendor: Vendor, token: str) -> str:
    path = reverse("hub:email_confirm", kwargs={"account": vendor.slug, "token": token})
    return settings.SITE_URL + path


def email_change_allowed(*, customer: Customer, new_email: str) -> ratelimit.Verdict:
    """May `customer` have a confirmation mailed to `new_email` now?

    Asking for a change makes the vendor send its branded email to whatever
    address was typed: without a limit a signed-in customer (or whoever holds
    their session) could mail a stranger without end. Counted per customer,
    and per target address whoever asks and at whichever vendor, since the
    stranger is the one to protect. The address is counted only when the
    customer's own limit let the request through, so one abusive session
    cannot use up the address's allowance on its own beyond that limit.
    Refusals are logged (customer and vendor ids, never the address).
    """
    mine = ratelimit.rate_limit_hit(
        scope="email-change-customer",
        identity=str(customer.pk),
        rule=ratelimit.EMAIL_CHANGE_PER_CUSTOMER,
    )
    verdict = mine
    if mine.allowed:
        verdict = ratelimit.rate_limit_hit(
            scope="email-change-address",
            identity=normalize_email(new_email),
            rule=ratelimit.EMAIL_CHANGE_PER_ADDRESS,
        )
    if not verdict.allowed:
        logger.warning(
            "email change refused: vendor %s customer %s: too many requests per %s",
            customer.vendor_id,
            customer.pk,
            "customer" if not mine.allowed else "target address",
        )
    return verdict


def email_change_request(
    *, customer: Customer, new_email: str, request: HttpRequest | None, actor: str
) -> ratelimit.Verdict:
    """Queue the confirmation link to `new_email`, unless a rate limit
    refuses it (see email_change_allowed). Nothing changes yet.

    Whether another customer of the vendor has that address is not checked
    here: the form would otherwise tell anyone signed in which emails are
    customers. The confirmation then says the change could not be made.
    """
    from .tasks import email_change_send_task

    verdict = email_change_allowed(customer=customer, new_email=new_email)
    if not verdict.allowed:
        return verdict
    audit_record(
        vendor=customer.vendor,
        action="profile.email_change_requested",
        actor=actor,
        customer=customer,
        user=getattr(request, "user", None) if actor == AuditEvent.Actor.STAFF else None,
        request=request,
    )
    task_after_commit(
        email_change_send_task,
        str(uuid.uuid4()),
        customer.pk,
        normalize_email(new_email),
        page_language(request),
        robust=True,
    )
    return verdict


def email_change_send(
    *, request_id: str, customer: Customer, new_email: str, language: str = ""
) -> EmailChange | None:
    """Create the change and email its link to the new address, in the
    customer's stored language, else `language` (the profile page's); safe
    to run twice (the request id is unique). An earlier pending change of the
    customer ends: only the address asked for last can be confirmed.

    As for access links, the email goes out only once the change is
    committed (on_commit), never inside the transaction: an email never
    names a change that rolled back, and a slow mail server holds no lock.
    A send that fails leaves the change unsent; the task's retry gives it a
    new token (the failed email's, if it got out after all, stops working)
    and sends again, without creating a second change.
    """
    token = token_new()
    claim = timezone.now() + timedelta(seconds=settings.ACCESS_LINK_SEND_LEASE)
    with transaction.atomic():
        change = EmailChange.objects.select_for_update().filter(request_id=request_id).first()
        if change is not None:
            if change.sent_at or change.used_at or change.revoked_at:
                return None  # sent already, or superseded by a later request
            if change.send_claimed_until and change.send_claimed_until > timezone.now():
                # Another run of this request is mailing it (a redelivered
                # message): a second email would leave the first one dead.
                return None
            # A retry hours later (SMTP down): a fresh hour with the new
            # token, or the email would arrive with a dead link.
            change.token_hash = secret_hash(token)
            change.expires_at = timezone.now() + timedelta(seconds=settings.ACCESS_LINK_MAX_AGE)
            change.send_claimed_until = claim
            change.save(update_fields=["token_hash", "expires_at", "send_claimed_until"])
        else:
            # The customer's row is the lock: two requests at once would
            # each revoke the other's change before it was committed, and
            # both would stay confirmable.
            Customer.objects.select_for_update().filter(pk=customer.pk).first()
            now = timezone.now()
            EmailChange.objects.filter(
                customer=customer, used_at__isnull=True, revoked_at__isnull=True
            ).update(revoked_at=now)
            change = EmailChange.objects.create(
                vendor=customer.vendor,
                customer=customer,
                new_email=new_email,
                token_hash=secret_hash(token),
                request_id=request_id,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.ACCESS_LINK_MAX_AGE),
                send_claimed_until=claim,
            )
        # Not robust: a failed send must raise, so that the task retries.
        transaction.on_commit(
            partial(_email_change_mail, change=change, token=token, language=language)
        )
    return change


def _email_change_mail(*, change: EmailChange, token: str, language: str = "") -> None:
    customer = change.customer
    # The new address may be a stranger's: the email names the vendor and
    # the address only, never anything the customer wrote (their name is
    # free text, and would let anyone put words in the vendor's email).
    try:
        mail_send(
            vendor=customer.vendor,
            to=change.new_email,
            template="email_change_confirm",
            language=language_pick(customer.vendor, customer.language, language),
            context={
                "new_email": change.new_email,
                "link_url": email_change_url(vendor=customer.vendor, token=token),
            },
        )
    except Exception:
        # Give the claim back at once: the task's retry need not wait for it.
        EmailChange.objects.filter(pk=change.pk).update(send_claimed_until=None)
        raise
    EmailChange.objects.filter(pk=change.pk).update(sent_at=timezone.now(), send_claimed_until=None)


def email_change_usable(*, vendor: Vendor, token: str) -> EmailChange | None:
    if not token or len(token) > 100:
        return None
    return (
        EmailChange.objects.filter(
            vendor=vendor,
            token_hash=secret_hash(token),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("customer")
        .first()
    )


def customer_sessions_end(*, customer: Customer, keep: str | None) -> int:
    """End every session the customer signed in with, but `keep`."""
    rows = CustomerSession.objects.filter(customer=customer).exclude(session_key=keep or "")
    keys = list(rows.values_list("session_key", flat=True))
    # Through the session engine, so a cached session (cached_db on Redis)
    # ends in the cache as well as in the database.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    return len(keys)


def email_change_confirm(*, request: HttpRequest, vendor: Vendor, token: str) -> str:
    """Make the change of the link `token`, once; returns what happened."""
    change = email_change_usable(vendor=vendor, token=token)
    if change is None:
        return EMAIL_CHANGE_INVALID
    with transaction.atomic():
        now = timezone.now()
        used = EmailChange.objects.filter(
            pk=change.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not used:
            return EMAIL_CHANGE_INVALID
        customer = change.customer
        if not customer_email_change(
            customer=customer, new_email=change.new_email, request=request
        ):
            return EMAIL_CHANGE_FAILED
        access_links_revoke(customer=customer, now=now)
        customer_sessions_end(customer=customer, keep=request.session.session_key)
    return EMAIL_CHANGE_DONE


@dataclass(frozen=True)
class ProfileUpdate:
    """What Update my info did: the fields saved, whether a confirmation link
    is on its way to a new email, and when refused, the seconds to wait."""

    changed: list[str]
    email_asked: bool = False
    email_retry_after: int = 0


def profile_update(*, request: HttpRequest, customer: Customer, data: dict) -> ProfileUpdate:
    """The hub's Update my info: saves name and address now, and asks for a
    confirmation of a new email (within the rate limits)."""
    changed = customer_update_profile(customer=customer, data=data, request=request)
    new_email = normalize_email(data.get("email") or "")
    if not new_email or new_email == customer.email:
        return ProfileUpdate(changed=changed)
    verdict = email_change_request(
        customer=customer, new_email=new_email, request=request, actor=AuditEvent.Actor.CUSTOMER
    )
    if not verdict.allowed:
        return ProfileUpdate(changed=changed, email_retry_after=verdict.retry_after)
    return ProfileUpdate(changed=changed, email_asked=True)
