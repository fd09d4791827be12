"""A text field whose value is encrypted at rest with Fernet.

Processor secrets (Stripe secret keys, webhook secrets, PayPal client
secrets) must not be readable from a database dump. The keys come from
FIELD_ENCRYPTION_KEYS; without them a key is derived from SECRET_KEY so the
demo works, which ties the secrets to that SECRET_KEY. The first key
encrypts and every key decrypts, so rotation is: prepend a new key, re-save.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(b"customer-hub-field-encryption:" + secret_key.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


class EncryptedTextField(models.TextField):
    """Stores `fernet(value)`; the empty string stays empty (nothing to hide)."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return fernet().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEYS (or SECRET_KEY) "
                "changed without keeping the old key."
            ) from exc
