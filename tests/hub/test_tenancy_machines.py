"""The tenancy matrix beyond the hub (issue 12, point 10): the vendor API
and the processors' webhooks. Every route of the URLconf is either a hub
route (tests/hub/test_tenancy_matrix.py walks them all), the admin (walked by
tests/vendors/test_roles.py), or named here with the test that keeps vendors
apart on it, so a URL added tomorrow fails the first test until it is."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import WebhookEvent
from magiclinks.models import AccessLink
from tests.support.urls import routes
from tests.support.webhooks import post_stripe, stripe_event
from vendors.api_keys import api_key_create

API = {"api:hub_link_create", "api:profile_link_create"}
WEBHOOKS = {"stripe_webhook", "paypal_webhook"}  # PayPal: test_paypal_webhooks.py
NO_TENANT_DATA = {
    "landing",
    "favicon",
    "healthz",
    "readyz",
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
    "logo",  # logos are public by design (emails and the hub show them)
    "vendor_owner_password",  # a staff user's one-time token, not a vendor's data
    "dev_mail_list",  # DEBUG only (tests/hub/test_dev_mail.py)
    "dev_mail_detail",
}


def test_every_route_is_covered_by_a_tenancy_test():
    names = {r.name for r in routes() if not r.name.startswith(("hub:", "admin:"))}
    assert names == API | WEBHOOKS | NO_TENANT_DATA


@pytest.fixture
def acme_key(other_vendor):
    return api_key_create(vendor=other_vendor, name="Acme site")[1]


@pytest.mark.parametrize("name", sorted(API))
def test_another_vendors_api_key_finds_none_of_northwinds_customers(
    name, client, bob, acme_alice, acme_key, django_capture_on_commit_callbacks
):
    bob.stripe_customer_id = "cus_bob_at_northwind"
    bob.save()
    bodies = [{"email": "bob@example.com"}]
    if name == "api:hub_link_create":  # the only one that takes ids too
        bodies += [{"customer_id": str(bob.pk)}, {"customer_id": "cus_bob_at_northwind"}]
    for body in bodies:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse(name),
                json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {acme_key}",
            )
        assert response.status_code == 404, (body, response.content)
        assert "bob" not in response.text.lower()
    assert not AccessLink.objects.exists()
    assert mail.outbox == []


def test_a_stripe_event_signed_for_one_vendor_is_refused_at_another(client, vendor, other_vendor):
    vendor.stripe_webhook_secret = "whsec_northwind"
    vendor.save()
    other_vendor.stripe_webhook_secret = "whsec_acme"
    other_vendor.save()
    payload = stripe_event("customer.updated", {"id": "cus_x", "object": "customer"})
    for account, secret in (("northwind", "whsec_acme"), ("acme", "whsec_northwind")):
        response = post_stripe(client, payload, account=account, secret=secret)
        assert response.status_code == 400, account
        assert response.json() == {"error": "bad signature"}
    assert not WebhookEvent.objects.exists()
