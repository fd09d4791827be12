"""The vendors' admin: staff see only their own vendors, stored processor
secrets never travel back to the browser, and they are encrypted at rest."""

import pytest
from django.db import connection

from vendors.admin import VendorAdmin
from vendors.models import Vendor

SECRETS = (
    "stripe_secret_key",
    "stripe_webhook_secret",
    "stripe_webhook_secret_previous",
    "paypal_client_secret",
)


def form_fields() -> list[str]:
    names = []
    for _, options in VendorAdmin.fieldsets:
        for entry in options["fields"]:
            names.extend(entry if isinstance(entry, tuple) else [entry])
    return [name for name in names if name not in VendorAdmin.readonly_fields]


def change_data(vendor: Vendor, **overrides) -> dict:
    """What the browser posts for `vendor`'s change form, secrets left empty."""
    data = {}
    for name in form_fields():
        value = getattr(vendor, name)
        if name in SECRETS or name == "logo":
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else value  # an empty optional number
    data.update(overrides)
    return data


def test_staff_see_only_their_own_vendor_in_the_changelist(staff_client, vendor, other_vendor):
    response = staff_client.get("/admin/vendors/vendor/")
    assert response.status_code == 200
    assert "Northwind Courses" in response.text
    assert "Acme Software" not in response.text
    assert list(response.context["cl"].queryset) == [vendor]


def test_staff_cannot_open_another_vendors_change_page(staff_client, other_vendor):
    response = staff_client.get(f"/admin/vendors/vendor/{other_vendor.pk}/change/")
    assert response.status_code in (302, 404)
    assert "Acme Software" not in response.text
    if response.status_code == 302:
        assert response["Location"] == "/admin/"


def test_staff_cannot_change_another_vendor_by_posting(staff_client, other_vendor):
    data = change_data(other_vendor, name="Hijacked")
    staff_client.post(f"/admin/vendors/vendor/{other_vendor.pk}/change/", data)
    other_vendor.refresh_from_db()
    assert other_vendor.name == "Acme Software"


def test_staff_cannot_add_vendors(staff_client, db):
    assert staff_client.get("/admin/vendors/vendor/add/").status_code == 403


def test_a_superuser_sees_every_vendor(admin_client, vendor, other_vendor):
    response = admin_client.get("/admin/vendors/vendor/")
    assert "Northwind Courses" in response.text
    assert "Acme Software" in response.text
    assert admin_client.get(f"/admin/vendors/vendor/{other_vendor.pk}/change/").status_code == 200


def test_the_change_form_never_renders_a_stored_secret(staff_client, vendor):
    vendor.stripe_secret_key = "sk_test_visible_nowhere_51"
    vendor.stripe_webhook_secret = "whsec_visible_nowhere_52"
    vendor.paypal_client_secret = "pp_visible_nowhere_53"
    vendor.save()
    response = staff_client.get(f"/admin/vendors/vendor/{vendor.pk}/change/")
    assert response.status_code == 200
    assert 'name="stripe_secret_key"' in response.text
    for secret in ("sk_test_visible_nowhere_51", "whsec_visible_nowhere_52", "visible_nowhere"):
        assert secret not in response.text


def test_an_empty_secret_field_keeps_the_stored_secret(staff_client, vendor):
    vendor.stripe_secret_key = "sk_test_keep_me"
    vendor.paypal_client_secret = "pp_keep_me"
    vendor.save()
    response = staff_client.post(
        f"/admin/vendors/vendor/{vendor.pk}/change/",
        change_data(vendor, name="Northwind Academy", stripe_webhook_secret="whsec_new"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    vendor.refresh_from_db()
    assert vendor.name == "Northwind Academy"
    assert vendor.stripe_secret_key == "sk_test_keep_me"
    assert vendor.paypal_client_secret == "pp_keep_me"
    assert vendor.stripe_webhook_secret == "whsec_new"


def test_secrets_are_encrypted_in_the_database(vendor):
    vendor.stripe_secret_key = "sk_test_plaintext_123"
    vendor.save()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT stripe_secret_key, stripe_webhook_secret FROM {Vendor._meta.db_table}"
            " WHERE id = %s",
            [vendor.pk],
        )
        stored, empty = cursor.fetchone()
    assert stored != "sk_test_plaintext_123"
    assert "sk_test_plaintext_123" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert empty == ""
    assert Vendor.objects.get(pk=vendor.pk).stripe_secret_key == "sk_test_plaintext_123"


@pytest.mark.parametrize(
    ("slug", "message"),
    [("admin", "is reserved"), ("Bad_Slug", "lowercase letters"), ("northwind", "already exists")],
)
def test_the_admin_add_form_validates_the_slug(admin_client, vendor, slug, message):
    data = change_data(Vendor(name="New Shop", slug=slug), slug=slug)
    response = admin_client.post("/admin/vendors/vendor/add/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["slug"])
    assert not Vendor.objects.filter(name="New Shop").exists()


def test_the_admin_add_form_creates_a_vendor_with_a_good_slug(admin_client, db):
    data = change_data(Vendor(name="New Shop", slug="new-shop"))
    response = admin_client.post("/admin/vendors/vendor/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Vendor.objects.get(slug="new-shop").name == "New Shop"


def test_the_account_help_text_shows_the_hub_address_pattern(staff_client, vendor):
    """Issue 21: the admin prints help texts as HTML; "<account>" must not
    vanish as an unknown tag (the page showed "//updateinfo/")."""
    page = staff_client.get(f"/admin/vendors/vendor/{vendor.pk}/change/").text
    assert "Your hub lives at /&lt;account&gt;/updateinfo/." in page
    assert "//updateinfo/" not in page.replace("://", "")
