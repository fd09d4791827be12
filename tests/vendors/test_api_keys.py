"""API keys in the admin (issue 11, point 5): created by an owner, shown
once, stored hashed, named, revocable, last use recorded, a handful at most."""

import hashlib
import re

from django.db import connection
from django.urls import reverse

from vendors.api_keys import api_key_authenticate, api_key_create
from vendors.models import API_KEYS_PER_VENDOR, ApiKey

ADD = "/admin/vendors/apikey/add/"
LIST = "/admin/vendors/apikey/"


def test_an_owner_creates_a_key_and_sees_it_once(staff_client, vendor, northwind_staff):
    page = staff_client.post(ADD, {"vendor": vendor.pk, "name": "Website"})
    assert page.status_code == 200
    raw = re.search(r'value="(hub_[0-9a-f]{8}_[A-Za-z0-9_-]{43})"', page.text).group(1)
    assert "only time it is shown" in page.text
    assert "no-store" in page["Cache-Control"]
    key = ApiKey.objects.get()
    assert key.name == "Website" and key.vendor == vendor and key.created_by == northwind_staff
    secret = raw.split("_", 2)[2]
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert raw.split("_")[1] == key.prefix
    # Never again: not in the list, not on the key's page.
    for url in (LIST, reverse("admin:vendors_apikey_change", args=[key.pk])):
        response = staff_client.get(url)
        assert response.status_code == 200
        assert key.prefix in response.text
        assert secret not in response.text
    assert api_key_authenticate(raw=raw) == key


def test_the_key_is_not_in_the_database_row(vendor):
    _, raw = api_key_create(vendor=vendor, name="Website")
    secret = raw.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")
        row = cursor.fetchone()
    assert all(secret not in str(value) for value in row)


def test_the_number_of_keys_is_limited(staff_client, vendor):
    for n in range(API_KEYS_PER_VENDOR):
        api_key_create(vendor=vendor, name=f"Key {n}")
    response = staff_client.post(ADD, {"vendor": vendor.pk, "name": "One too many"})
    assert response.status_code == 200
    assert f"at most {API_KEYS_PER_VENDOR} API keys" in response.text
    assert ApiKey.objects.count() == API_KEYS_PER_VENDOR
    # A revoked key frees its place.
    key = ApiKey.objects.first()
    staff_client.post(LIST, {"action": "revoke", "_selected_action": [str(key.pk)]})
    page = staff_client.post(ADD, {"vendor": vendor.pk, "name": "Replacement"})
    assert "only time it is shown" in page.text


def test_support_staff_cannot_create_keys(client, vendor, northwind_support):
    client.force_login(northwind_support)
    assert client.post(ADD, {"vendor": vendor.pk, "name": "Sneaky"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_an_owner_cannot_create_a_key_for_another_vendor(staff_client, other_vendor):
    response = staff_client.post(ADD, {"vendor": other_vendor.pk, "name": "Acme's"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not ApiKey.objects.exists()


def test_last_use_is_recorded(vendor):
    key, raw = api_key_create(vendor=vendor, name="Website")
    assert key.last_used_at is None
    api_key_authenticate(raw=raw)
    assert ApiKey.objects.get().last_used_at is not None


def test_an_owner_of_one_vendor_finds_it_chosen(staff_client, vendor, other_vendor):
    """Issue 21: nothing to pick when there is one vendor to pick from."""
    page = staff_client.get(ADD).text
    select = re.search(r'<select name="vendor"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r"<option[^>]*>", select)
    assert options == [f'<option value="{vendor.pk}" selected>']


def test_a_user_of_several_vendors_still_chooses(admin_client, vendor, other_vendor):
    page = admin_client.get(ADD).text
    select = re.search(r'<select name="vendor"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert '<option value="" selected>' in select and select.count("<option") == 3
