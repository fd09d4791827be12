"""Reads of access links. Nothing here writes: the link page's GET and HEAD
use these and must leave the database as they found it."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from billing.models import AuditEvent, Customer
from vendors.models import Vendor

from .models import AccessLink
from .tokens import secret_hash

CODE_MAX_ATTEMPTS = 5


def _usable(vendor: Vendor):
    # Tenant first: a link of vendor A is unknown under vendor B's URL.
    return AccessLink.objects.filter(
        vendor=vendor,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("customer")


def access_link_usable(*, vendor: Vendor, token: str) -> AccessLink | None:
    """The unused, unexpired, unrevoked link of `vendor` for `token`, or None."""
    if not token or len(token) > 100:
        return None
    return _usable(vendor).filter(token_hash=secret_hash(token)).first()


def access_link_for_binding(*, vendor: Vendor, binding: str) -> AccessLink | None:
    """The newest usable link asked for by the browser holding `binding`
    whose code has tries left."""
    if not binding or len(binding) > 100:
        return None
    return (
        _usable(vendor)
        .filter(binding_hash=secret_hash(binding), attempts__lt=CODE_MAX_ATTEMPTS)
        .order_by("-created_at")
        .first()
    )


def access_link_history(*, customer, limit: int = 50) -> list[AccessLink]:
    """The links sent to `customer`, newest first, for the vendor's staff:
    when, why, and whether used. The hashes are never read for display."""
    return list(
        AccessLink.objects.filter(vendor_id=customer.vendor_id, customer=customer)
        .only("created_at", "expires_at", "used_at", "revoked_at", "purpose", "customer_id")
        .order_by("-created_at", "-id")[:limit]
    )


def profile_link_last_sent(*, customer: Customer) -> datetime | None:
    """When staff (or the API) last sent `customer` a profile link, or None."""
    return (
        AuditEvent.objects.filter(
            vendor_id=customer.vendor_id, customer=customer, action="access.profile_link_sent"
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


_UNREAD = object()


def profile_link_next_at(*, customer: Customer, last_sent=_UNREAD) -> datetime | None:
    """When staff may send `customer` the next profile link, or None if now.
    A caller that already read `profile_link_last_sent` passes it in."""
    last = profile_link_last_sent(customer=customer) if last_sent is _UNREAD else last_sent
    if last is None:
        return None
    next_at = last + timedelta(seconds=settings.PROFILE_LINK_COOLDOWN)
    return next_at if next_at > timezone.now() else None
