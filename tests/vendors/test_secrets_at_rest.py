"""Processor secrets and API keys are encrypted or hashed at rest and never
reach a log (issue 11, point 8): saved through the admin, used by Test
connection and the API, then looked for in every column of the rows and in
everything logged meanwhile."""

import logging

from django.db import connection
from django.urls import reverse

from billing.processors.connections import STRIPE_EVENTS, webhook_url
from tests.billing.test_connections import stripe_register
from tests.vendors.test_admin import change_data
from vendors.models import ApiKey, Vendor

SECRETS = {
    "stripe_secret_key": "sk_test_northwind_at_rest_S1",
    "stripe_webhook_secret": "whsec_at_rest_S2",
    "stripe_webhook_secret_previous": "whsec_at_rest_previous_S3",
    "paypal_client_secret": "paypal_at_rest_S4",
}


def row_text(model, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table} WHERE id = %s", [pk])
        return " ".join(str(value) for value in cursor.fetchone())


def test_no_secret_is_in_the_database_row_or_any_log(
    staff_client, vendor, stripe_api, settings, caplog, client
):
    settings.SITE_URL = "http://127.0.0.1:9/at-rest"
    caplog.set_level(logging.DEBUG)
    response = staff_client.post(
        reverse("admin:vendors_vendor_change", args=[vendor.pk]),
        change_data(vendor, stripe_publishable_key="pk_test_northwind", **SECRETS),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = Vendor.objects.get(pk=vendor.pk)
    for name, value in SECRETS.items():
        assert getattr(stored, name) == value  # decrypts
    stripe_register(stripe_api, webhook_url(vendor=vendor, processor="stripe"), STRIPE_EVENTS)
    staff_client.post(reverse("admin:vendors_vendor_test_connection", args=[vendor.pk, "stripe"]))
    # A wrong key too: its failure is logged, the key is not.
    stored.stripe_secret_key = "xk_wrong_at_rest_S5"
    stored.save()
    staff_client.post(reverse("admin:vendors_vendor_test_connection", args=[vendor.pk, "stripe"]))
    page = staff_client.post(
        reverse("admin:vendors_apikey_add"), {"vendor": vendor.pk, "name": "W"}
    )
    raw_key = page.context["raw_key"]
    client.post(
        "/api/v1/hub-links",
        '{"email": "nobody@example.com"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
    client.post(
        "/api/v1/hub-links",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}x",
    )

    vendor_row = row_text(Vendor, vendor.pk)
    key = ApiKey.objects.get()
    key_row = row_text(ApiKey, key.pk)
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert "Stripe call failed" in logged  # the wrong key's failure was logged
    for value in [*SECRETS.values(), "xk_wrong_at_rest_S5"]:
        assert value not in vendor_row
        assert value not in logged
    secret_part = raw_key.split("_", 2)[2]
    assert secret_part not in key_row and secret_part not in logged
    assert "gAAAA" in vendor_row  # Fernet tokens
