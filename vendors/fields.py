"""A text field whose value is encrypted at rest with Fernet.

Processor secrets (Stripe secret keys, webhook secrets, PayPal client
secrets) must not be readable from a database dump. The keys come from
FIELD_ENCRYPTION_KEYS, which production must set (nothing is derived from
SECRET_KEY: rotating that must not lose the secrets, and one leaked value
must not give both). The first key encrypts and every key decrypts, so
rotation is: prepend a new key, run `manage.py rotate_encryption_key`, then
drop the old key.

Decryption is lazy: loading a vendor decrypts nothing, reading
`vendor.stripe_secret_key` decrypts that one value. A value that no key opens
raises SecretUnavailable there and only there, so a lost key breaks the
payments that need it (and is reported in the admin), never a hub page that
does not.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute


class SecretUnavailable(Exception):  # noqa: N818 - the name says what the caller meets
    """A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS."""


class Ciphertext(str):
    """A stored value not decrypted (yet): what the database holds."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is not set.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def secret_decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnavailable(
            "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEYS does not hold the key "
            "it was encrypted with. Enter the secret again in the admin, or restore the key."
        ) from exc


class _DecryptingAttribute(DeferredAttribute):
    # A data descriptor (it has __set__), so every read comes through __get__
    # even though the value lives in the instance's __dict__.
    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if instance is None or not isinstance(value, Ciphertext):
            return value
        plain = secret_decrypt(value)
        instance.__dict__[self.field.attname] = plain
        return plain


class EncryptedTextField(models.TextField):
    """Stores `fernet(value)`; the empty string stays empty (nothing to hide)."""

    descriptor_class = _DecryptingAttribute

    def from_db_value(self, value, expression, connection):
        return Ciphertext(value) if value else ""

    def get_prep_value(self, value):
        if isinstance(value, Ciphertext):
            return str(value)  # never decrypted, so unchanged: store as it was
        value = super().get_prep_value(value)
        if not value:
            return ""
        return fernet().encrypt(value.encode()).decode()

    def pre_save(self, model_instance, add):
        # Saving a vendor must not need (or fail on) secrets it did not touch.
        return model_instance.__dict__.get(self.attname, "")

    def value_from_object(self, obj):
        return obj.__dict__.get(self.attname, "")


def undecryptable_fields(instance: models.Model) -> list["EncryptedTextField"]:
    """The encrypted fields of `instance` whose stored value no key opens."""
    broken: list[EncryptedTextField] = []
    for field in instance._meta.concrete_fields:
        if not isinstance(field, EncryptedTextField):
            continue
        value = instance.__dict__.get(field.attname, "")
        if isinstance(value, Ciphertext):
            try:
                secret_decrypt(value)
            except SecretUnavailable:
                broken.append(field)
    return broken
