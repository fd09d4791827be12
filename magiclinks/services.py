"""Writes of passwordless access: queue a request, create and send links,
redeem a link or a code, sign out, and the vendor-sent profile link.

Security decisions are written down where they are made.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from billing.audit import audit_record
from billing.models import AuditEvent, Customer, normalize_email
from vendors.clientip import client_ip
from vendors.formatting import language_pick
from vendors.mail import mail_send
from vendors.models import Vendor

from . import ratelimit
from .models import AccessLink
from .selectors import (
    CODE_MAX_ATTEMPTS,
    access_link_for_binding,
    access_link_usable,
    profile_link_next_at,
)
from .sessions import customer_from_session, customer_login, customer_logout
from .tokens import code_hash, code_new, hashes_match, secret_hash, token_new

CUSTOMER = AuditEvent.Actor.CUSTOMER


def task_after_commit(task, *args, robust: bool) -> None:
    """Queue `task` with `args` once the transaction commits.

    A named function rather than functools.partial: Django logs a failed
    robust callback by its __qualname__, which a partial lacks, so the
    failure it meant to swallow became an AttributeError (Django 5.2).
    """

    def publish() -> None:
        task.delay(*args)

    publish.__qualname__ = f"{getattr(task, 'name', 'task')}.delay"
    transaction.on_commit(publish, robust=robust)


def access_link_url(*, vendor: Vendor, token: str) -> str:
    """Built from SITE_URL, never from the Host header of the request that
    asked: a forged Host must not turn our email into a link to elsewhere."""
    path = reverse("hub:access_link", kwargs={"account": vendor.slug, "token": token})
    return settings.SITE_URL + path


def access_request_queue(
    *, vendor: Vendor, email: str, ip: str | None, next_path: str = "", language: str = ""
) -> str:
    """Queue the lookup and the email for an address typed on the access form.

    `language` is the page's, in which the email is written unless the
    customer chose one in the hub before (their stored choice wins).

    Returns the browser-binding nonce for the cookie of the asking browser.
    Whether the address belongs to a customer is decided in the task, not
    here: the answer to the person is then the same, in content and in time,
    for an address we know and one we don't.
    """
    from .tasks import access_link_send_task

    binding = token_new()
    task_after_commit(
        access_link_send_task,
        str(uuid.uuid4()),
        vendor.pk,
        normalize_email(email),
        secret_hash(binding),
        ip,
        next_path,
        language,
        # A mail failure in the embedded (eager) mode must not turn the
        # answer into an error page that only known addresses would get.
        # With a broker, a publish that fails must not be swallowed either:
        # the page would say "check your email" for an email nobody queued;
        # the broker error is a 503 (hub.outages) for every address alike.
        robust=settings.CELERY_TASK_ALWAYS_EAGER,
    )
    return binding


def _access_link_keys(*, with_code: bool) -> tuple[str, str, str, str]:
    """New secrets for a link: token, code, and their stored hashes."""
    token = token_new()
    code = code_new() if with_code else ""
    token_hash = secret_hash(token)
    return token, code, token_hash, (code_hash(token_hash=token_hash, code=code) if code else "")


def _access_link_prepare(
    *,
    customer: Customer,
    purpose: str,
    request_id: str,
    binding_hash: str = "",
    ip: str | None = None,
    next_path: str = "",
    with_code: bool = True,
) -> tuple[AccessLink, str, str, bool] | None:
    """The link of `request_id`, created (or given new secrets when an
    earlier run failed to mail it) and committed before any email names it.

    Returns (link, token, code, created), or None when its email went out
    already. Older unused links of the customer stay valid: a customer who
    asks twice and clicks the first email, or a vendor pressing Send Profile
    Link twice, must not get "used or expired". All of them end when one is
    used (see _use), and each expires within the hour anyway.

    The email is sent after this commits, never inside the transaction: a
    slow SMTP server then holds no row lock, and an email never names a link
    whose transaction rolled back. A send that fails leaves the link unsent;
    the task's retry gives it new secrets (the failed email's, if it got
    out after all, stop working) and sends again.
    """
    token, code, token_hash, stored_code = _access_link_keys(with_code=with_code)
    now = timezone.now()
    claim = now + timedelta(seconds=settings.ACCESS_LINK_SEND_LEASE)
    with transaction.atomic():
        link = AccessLink.objects.select_for_update().filter(request_id=request_id).first()
        if link is not None:
            if link.sent_at or link.used_at or link.revoked_at:
                return None  # mailed already, or the customer signed in since
            if link.send_claimed_until and link.send_claimed_until > now:
                # Another run of this request is mailing it (a redelivered
                # message): two emails would leave the first one dead. If
                # that run dies, its message comes back after the lease.
                return None
            # A retry hours later (SMTP down) mails a fresh link with a
            # fresh hour: an email whose link expired before it arrived is
            # no use to anyone.
            link.token_hash, link.code_hash = token_hash, stored_code
            link.expires_at = now + timedelta(seconds=settings.ACCESS_LINK_MAX_AGE)
            link.send_claimed_until = claim
            link.save(update_fields=["token_hash", "code_hash", "expires_at", "send_claimed_until"])
            return link, token, code, False
        link = AccessLink.objects.create(
            send_claimed_until=claim,
            vendor=customer.vendor,
            customer=customer,
            purpose=purpose,
            token_hash=token_hash,
            code_hash=stored_code,
            binding_hash=binding_hash,
            request_id=request_id,
            next_path=next_path,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.ACCESS_LINK_MAX_AGE),
            requested_ip=ip,
        )
        return link, token, code, True


def _access_link_sent(link: AccessLink) -> None:
    AccessLink.objects.filter(pk=link.pk).update(sent_at=timezone.now(), send_claimed_until=None)


def _access_link_mail(link: AccessLink, **mail) -> None:
    """Send the link's email and record it; a failed send gives the claim
    back at once, so the task's retry need not wait for the lease."""
    try:
        mail_send(**mail)
    except Exception:
        AccessLink.objects.filter(pk=link.pk).update(send_claimed_until=None)
        raise
    _access_link_sent(link)


def access_link_send(
    *,
    request_id: str,
    vendor: Vendor,
    email: str,
    binding_hash: str,
    ip: str | None,
    next_path: str = "",
    language: str = "",
) -> AccessLink | None:
    """Email a link and a code to `email` if it is a customer of `vendor`,
    in their stored language, else `language` (the access form's).

    Safe to run twice: a run for a request whose email went out sends
    nothing; a run after a failed send sends it (see _access_link_prepare).
    """
    customer = vendor.customers.filter(email=normalize_email(email)).first()
    if customer is None:
        return None
    prepared = _access_link_prepare(
        customer=customer,
        purpose=AccessLink.Purpose.CUSTOMER_REQUEST,
        request_id=request_id,
        binding_hash=binding_hash,
        ip=ip,
        next_path=next_path,
    )
    if prepared is None:
        return None
    link, token, code, created = prepared
    if created:
        audit_record(
            vendor=vendor,
            action="access.requested",
            actor=CUSTOMER,
            customer=customer,
            details={"ip": ip},
        )
    _access_link_mail(
        link,
        vendor=vendor,
        to=customer.email,
        template="access_link",
        language=language_pick(vendor, customer.language, language),
        context={
            "customer": customer,
            "link_url": access_link_url(vendor=vendor, token=token),
            "code": code,
        },
    )
    return link


def card_link_queue(
    *, request: HttpRequest, customer: Customer, next_path: str
) -> ratelimit.Verdict:
    """The signed-in customer asked the card page to "Email me a link" that
    opens `next_path` (the processor refused the update here, and they will
    try later or on another device). Counted against the same per-email
    limit as the access form; returns the verdict.

    The link has no code: a code works only in the browser holding the
    binding cookie of the request that asked for it, and this email is for
    another time or another device, where the link's Continue page signs in
    instead. The client IP is the one behind our proxies, as everywhere.
    """
    from .tasks import card_link_send_task

    verdict = ratelimit.rate_limit_hit(
        scope="access-email",
        identity=f"{customer.vendor_id}:{customer.email}",
        rule=ratelimit.ACCESS_PER_EMAIL,
    )
    if verdict.allowed:
        task_after_commit(
            card_link_send_task,
            str(uuid.uuid4()),
            customer.pk,
            client_ip(request),
            next_path,
            get_language() or "",
            robust=True,
        )
    return verdict


def card_link_send(
    *, request_id: str, customer: Customer, ip: str | None, next_path: str, language: str = ""
) -> AccessLink | None:
    """Email the card page's link (no code, no binding); safe to run twice.
    In the customer's stored language, else `language` (the card page's)."""
    prepared = _access_link_prepare(
        customer=customer,
        purpose=AccessLink.Purpose.CUSTOMER_REQUEST,
        request_id=request_id,
        ip=ip,
        next_path=next_path,
        with_code=False,
    )
    if prepared is None:
        return None
    link, token, _, created = prepared
    if created:
        audit_record(
            vendor=customer.vendor,
            action="access.requested",
            actor=CUSTOMER,
            customer=customer,
            details={"ip": ip, "from": "card_page"},
        )
    mail_send(
        vendor=customer.vendor,
        to=customer.email,
        template="access_link",
        language=language_pick(customer.vendor, customer.language, language),
        context={
            "customer": customer,
            "link_url": access_link_url(vendor=customer.vendor, token=token),
            "code": "",
        },
    )
    _access_link_sent(link)
    return link


class ProfileLinkCooldown(Exception):
    """A profile link went to this customer moments ago; `next_at` says when
    the next one may go."""

    def __init__(self, next_at):
        super().__init__(f"next profile link at {next_at.isoformat()}")
        self.next_at = next_at


def profile_link_queue(*, request: HttpRequest, customer: Customer) -> None:
    """Staff pressed Send Profile Link: record who, and queue the email.

    The link is created in the task and only ever goes into the email: the
    admin never sees, logs or returns it. Raises ProfileLinkCooldown within
    PROFILE_LINK_COOLDOWN of the last one; the customer's row is locked while
    deciding, so two colleagues pressing at once send one email.
    """
    from .tasks import profile_link_send_task

    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        next_at = profile_link_next_at(customer=customer)
        if next_at is not None:
            raise ProfileLinkCooldown(next_at)
        audit_record(
            vendor=customer.vendor,
            action="access.profile_link_sent",
            actor=AuditEvent.Actor.STAFF,
            customer=customer,
            user=request.user,
            request=request,
        )
        task_after_commit(profile_link_send_task, str(uuid.uuid4()), customer.pk, robust=True)


def profile_link_send(*, request_id: str, customer: Customer) -> AccessLink | None:
    """Email the vendor-sent link to `customer`; safe to run twice."""
    # No binding and no code: whoever opens it gets the Continue page, so a
    # mail scanner's visit cannot use it up.
    prepared = _access_link_prepare(
        customer=customer,
        purpose=AccessLink.Purpose.VENDOR_SENT,
        request_id=request_id,
        with_code=False,
    )
    if prepared is None:
        return None
    link, token, _, _ = prepared
    _access_link_mail(
        link,
        vendor=customer.vendor,
        to=customer.email,
        template="profile_link",
        # The customer's language, never the staff member's who pressed the
        # button (the admin runs in theirs).
        language=customer.mail_language,
        context={
            "customer": customer,
            "link_url": access_link_url(vendor=customer.vendor, token=token),
        },
    )
    return link


def _use(link: AccessLink) -> bool:
    """Mark the link used, once, and revoke the customer's other unused links.

    The conditions are checked by the UPDATE itself, so of two concurrent
    redemptions exactly one changes the row (the second waits for the
    first's row lock, then finds it used). Revoking the others in the same
    transaction means that once the customer is in, no other email in their
    mailbox (or in a scanner's log) opens the hub again.
    """
    now = timezone.now()
    with transaction.atomic():
        used = (
            AccessLink.objects.filter(
                pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
            ).update(used_at=now)
            == 1
        )
        if used:
            access_links_revoke(customer=link.customer, now=now)
    return used


def access_links_revoke(*, customer: Customer, now=None) -> int:
    """End every unused link of `customer`; returns how many ended."""
    return AccessLink.objects.filter(
        customer=customer, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now or timezone.now())


def _sign_in(request: HttpRequest, link: AccessLink, *, method: str) -> None:
    customer_login(request, customer=link.customer)
    audit_record(
        vendor=link.vendor,
        action="access.redeemed",
        actor=CUSTOMER,
        customer=link.customer,
        request=request,
        details={"method": method, "purpose": link.purpose},
    )


def access_link_redeem(*, request: HttpRequest, vendor: Vendor, token: str) -> AccessLink | None:
    """Use the link of `vendor` for `token` and sign its customer in; None
    when it is unknown, of another vendor, used, revoked or expired."""
    link = access_link_usable(vendor=vendor, token=token)
    if link is None or not _use(link):
        return None
    _sign_in(request, link, method="link")
    return link


def access_link_is_bound(*, link: AccessLink, binding: str | None) -> bool:
    """Did the browser presenting `binding` ask for this link?"""
    if not binding:
        return False
    return hashes_match(link.binding_hash, secret_hash(binding))


# What an unknown binding is compared against, so that a code typed after
# asking for an unknown email costs the same work as one for a customer.
_DUMMY_TOKEN_HASH = secret_hash("magiclinks.services.dummy-token")
_DUMMY_CODE_HASH = code_hash(token_hash=_DUMMY_TOKEN_HASH, code="dummy")


def access_code_redeem(
    *, request: HttpRequest, vendor: Vendor, binding: str | None, code: str
) -> AccessLink | None:
    """Sign in with the emailed code, in the browser that asked for it only.

    The code is found through the browser's binding cookie, never by the code
    alone (a million codes would be guessed across all links). Each try is
    counted before the comparison, atomically, so even concurrent guesses
    get at most CODE_MAX_ATTEMPTS tries at one code; wrong codes are also
    capped per (vendor, email) across all of the customer's links.

    A binding with no link (the email typed was not a customer's) goes
    through the same steps - the counter UPDATE, the HMAC and comparison,
    the limit and the audit row - against a dummy, so the answer takes the
    same time and the code form does not tell which emails are customers.
    """
    link = access_link_for_binding(vendor=vendor, binding=binding or "")
    if link is not None:
        identity = f"{vendor.pk}:{link.customer.email}"
        pk, token_hash, stored_hash = link.pk, link.token_hash, link.code_hash
    else:
        identity = f"{vendor.pk}:binding:{secret_hash(binding or '')}"
        pk, token_hash, stored_hash = 0, _DUMMY_TOKEN_HASH, _DUMMY_CODE_HASH
    rule = ratelimit.CODE_WRONG_PER_EMAIL
    capped = ratelimit.rate_limit_reached(scope="code-email", identity=identity, rule=rule)
    counted = AccessLink.objects.filter(pk=pk, attempts__lt=CODE_MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    matches = hashes_match(stored_hash, code_hash(token_hash=token_hash, code=code))
    if link is None or not counted or capped or not matches:
        if not capped:
            ratelimit.rate_limit_hit(scope="code-email", identity=identity, rule=rule)
        audit_record(
            vendor=vendor,
            action="access.code_failed",
            actor=CUSTOMER,
            customer=link.customer if link else None,
            request=request,
            details={"attempt": link.attempts + 1 if link else None, "capped": capped},
        )
        return None
    if not _use(link):
        return None
    _sign_in(request, link, method="code")
    return link


def customer_sign_out(*, request: HttpRequest, vendor: Vendor) -> None:
    """End this browser's session at `vendor` on the server."""
    customer, _ = customer_from_session(request, vendor=vendor)
    customer_logout(request, vendor=vendor)
    if customer is not None:
        audit_record(
            vendor=vendor,
            action="access.signed_out",
            actor=CUSTOMER,
            customer=customer,
            request=request,
        )


# --- links made through the vendor API ("Manage billing" buttons) -----------

API_LINK_MAX_AGE = 5 * 60


def api_link_url(*, vendor: Vendor, token: str) -> str:
    path = reverse("hub:api_link", kwargs={"account": vendor.slug, "token": token})
    return settings.SITE_URL + path


def api_link_create(
    *, customer: Customer, max_age: int = API_LINK_MAX_AGE, api_key_name: str = ""
) -> tuple[AccessLink, str]:
    """A one-time hub link for `customer`, asked for by their vendor's site
    through the API: the link and its URL (the only place the token exists).

    Unlike an emailed link this one signs in on a plain GET (see
    `api_link_redeem`), so it is kept short-lived (5 minutes) and single-use,
    and it has no code. It does not revoke the customer's emailed links:
    pressing "Manage billing" must not break an email they are about to open.
    """
    now = timezone.now()
    token = token_new()
    link = AccessLink.objects.create(
        vendor=customer.vendor,
        customer=customer,
        purpose=AccessLink.Purpose.API,
        token_hash=secret_hash(token),
        created_at=now,
        expires_at=now + timedelta(seconds=max_age),
    )
    audit_record(
        vendor=customer.vendor,
        action="access.api_link_created",
        actor=AuditEvent.Actor.STAFF,
        customer=customer,
        details={"api_key": api_key_name},
    )
    return link, api_link_url(vendor=customer.vendor, token=token)


def api_link_redeem(*, request: HttpRequest, vendor: Vendor, token: str) -> AccessLink | None:
    """Sign in with an API link on GET; None unless it is an unused,
    unexpired `api` link of `vendor`.

    Why a GET may consume this link when an emailed one needs a Continue
    click: an emailed link passes through mailboxes, whose scanners open
    links, so only a deliberate POST may use it up. An API link is never
    mailed: the vendor's server asks for it for the member signed in on the
    vendor's site, and hands it straight to that member's browser (a
    redirect behind a "Manage billing" button). Nothing scans it on the way,
    and a Continue page would only add a click. What bounds the risk of a
    leak (browser history, a proxy log) is that it works once and for five
    minutes, and the redemption redirects at once, so the token leaves the
    address bar; access pages send `Referrer-Policy: no-referrer`.
    Only `api` links are accepted here: an emailed link's token presented
    at this URL does nothing.
    """
    link = access_link_usable(vendor=vendor, token=token)
    if link is None or link.purpose != AccessLink.Purpose.API or not _use(link):
        return None
    _sign_in(request, link, method="api_link")
    return link


def api_profile_link_queue(*, customer: Customer, api_key_name: str) -> None:
    """The vendor's site asked through the API to email `customer` their
    access link: the same email as Send Profile Link, recorded as the API's.

    Raises ProfileLinkCooldown within PROFILE_LINK_COOLDOWN of the last one,
    whoever sent it (staff or the API): the admin's limit would mean nothing
    if a script could send ten in a second. Locked like profile_link_queue.
    """
    from .tasks import profile_link_send_task

    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        next_at = profile_link_next_at(customer=customer)
        if next_at is not None:
            raise ProfileLinkCooldown(next_at)
        audit_record(
            vendor=customer.vendor,
            action="access.profile_link_sent",
            actor=AuditEvent.Actor.STAFF,
            customer=customer,
            details={"api_key": api_key_name},
        )
        task_after_commit(profile_link_send_task, str(uuid.uuid4()), customer.pk, robust=True)


PURGE_AFTER = timedelta(days=30)


def access_records_purge(*, now=None) -> dict[str, int]:
    """Delete what sign-in leaves behind once it is of no use: expired
    sessions, access links and email changes created more than 30 days ago
    (long expired; the audit trail keeps what happened), and the record of
    session keys that no longer exist. Safe to run at any time, twice."""
    from django.contrib.sessions.models import Session

    from .models import CustomerSession, EmailChange

    now = now or timezone.now()
    cutoff = now - PURGE_AFTER
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    links, _ = AccessLink.objects.filter(created_at__lt=cutoff).delete()
    changes, _ = EmailChange.objects.filter(created_at__lt=cutoff).delete()
    live = Session.objects.values("session_key")
    keys, _ = CustomerSession.objects.exclude(session_key__in=live).delete()
    return {"sessions": sessions, "links": links, "email_changes": changes, "session_keys": keys}
