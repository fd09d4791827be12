"""Processor secrets at rest: keys from FIELD_ENCRYPTION_KEYS only, rotation,
and lazy decryption so that a lost key never breaks a hub page (issue 12,
point 8)."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from vendors.fields import SecretUnavailable
from vendors.models import Vendor

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keyed_vendor(vendor, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    vendor.stripe_secret_key = "sk_test_secret"
    vendor.paypal_client_secret = "pp_secret"
    vendor.save()
    return vendor


def test_it_returns_the_plaintext_str_on_attribute_access(keyed_vendor):
    vendor = Vendor.objects.get(pk=keyed_vendor.pk)
    assert vendor.stripe_secret_key == "sk_test_secret"
    assert type(vendor.stripe_secret_key) is str
    assert vendor.stripe_webhook_secret == ""


def test_it_does_not_derive_the_key_from_secret_key(keyed_vendor, settings):
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert Vendor.objects.get(pk=keyed_vendor.pk).stripe_secret_key == "sk_test_secret"


def test_a_lost_key_fails_only_where_the_secret_is_read(keyed_vendor, settings, alice_client):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    vendor = Vendor.objects.get(pk=keyed_vendor.pk)  # loading decrypts nothing
    with pytest.raises(SecretUnavailable):
        _ = vendor.stripe_secret_key
    for page in ("", "purchases/", "subscriptions/", "contact/", "profile/"):
        assert alice_client.get(f"{vendor.hub_path}{page}").status_code == 200, page
    # Saving the vendor keeps the secret it could not read, unchanged.
    vendor.name = "Renamed"
    vendor.save()
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    assert Vendor.objects.get(pk=vendor.pk).stripe_secret_key == "sk_test_secret"


def test_the_admin_reports_a_secret_it_cannot_decrypt(keyed_vendor, settings, admin_client):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    response = admin_client.get(f"/admin/vendors/vendor/{keyed_vendor.pk}/change/")
    assert response.status_code == 200
    assert "Cannot be decrypted with the configured keys" in response.text
    assert "Stripe secret key" in response.text


def test_rotate_encryption_key_re_encrypts_with_the_first_key(keyed_vendor, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "Re-encrypted 2 secret(s)" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    vendor = Vendor.objects.get(pk=keyed_vendor.pk)
    assert vendor.stripe_secret_key == "sk_test_secret"
    assert vendor.paypal_client_secret == "pp_secret"


def test_rotate_encryption_key_names_what_no_key_opens(keyed_vendor, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(CommandError, match="stripe_secret_key"):
        call_command("rotate_encryption_key", stdout=StringIO())
