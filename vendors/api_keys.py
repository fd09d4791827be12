"""Writes and reads of vendor API keys: create (shown once), authenticate,
revoke. Security decisions are written down where they are made."""

import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import API_KEYS_PER_VENDOR, ApiKey, Vendor

# A key reads `hub_<prefix>_<secret>`: the marker lets secret scanners (and
# people) recognise a leaked key; the prefix is public and finds the row.
KEY_MARKER = "hub"
PREFIX_LENGTH = 8


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, vendor: Vendor, name: str, user=None) -> tuple[ApiKey, str]:
    """A new key for `vendor`: the row, and the key itself, which exists only
    in this return value (the caller shows it once, then it is gone).

    Refuses a key over API_KEYS_PER_VENDOR unrevoked ones. The count is taken
    under a lock on the vendor row, so two owners pressing Save at once
    cannot both slip past the limit.
    """
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor.pk).first()
        if api_keys_active(vendor=vendor).count() >= API_KEYS_PER_VENDOR:
            raise ValidationError(
                _("A vendor can have at most %(n)d API keys: revoke one first."),
                code="too_many_keys",
                params={"n": API_KEYS_PER_VENDOR},
            )
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(32)  # 256 bits
        key = ApiKey.objects.create(
            vendor=vendor,
            name=name,
            prefix=prefix,
            key_hash=_hash(secret),
            created_by=user if user is not None and user.is_authenticated else None,
        )
    return key, f"{KEY_MARKER}_{prefix}_{secret}"


def api_keys_active(*, vendor: Vendor):
    return vendor.api_keys.filter(revoked_at__isnull=True)


def api_key_authenticate(*, raw: str) -> ApiKey | None:
    """The unrevoked key for `raw`, with its use recorded; None for anything
    else (malformed, unknown, revoked, wrong secret), all alike."""
    marker, _sep, rest = (raw or "").partition("_")
    prefix, _sep, secret = rest.partition("_")
    if marker != KEY_MARKER or len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 100:
        return None
    key = (
        ApiKey.objects.select_related("vendor")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    # Compared in constant time: the response time must not tell how much
    # of a guessed secret was right.
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    # One UPDATE, and only when the minute changed: a busy key does not
    # write a row on every request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Stop the key working at once; the row stays as the record."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
