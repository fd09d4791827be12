"""Roles in the vendors' admin (issue 11, point 1): every changelist, change
page, history page and action, walked as Northwind's owner, as Northwind's
support person and as the owner of another vendor."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import AuditEvent, StripeImport
from billing.refunds import refund_record
from tests.factories import (
    AuditEventFactory,
    OrderFactory,
    PaymentFactory,
    SubscriptionFactory,
    WebhookEventFactory,
)
from vendors.api_keys import api_key_create
from vendors.models import ApiKey, VendorMembership

# What a Northwind support person may open; owners open all of these too.
SHARED = {"customer", "order", "subscription", "payment", "invoice", "auditevent"}
SHARED |= {"refund", "creditnote"}
OWNER_ONLY = {"vendor", "apikey", "webhookevent", "stripeimport"}
SUPERUSER_ONLY = {"vendormembership"}


@pytest.fixture
def northwind_rows(vendor, alice, northwind_staff):
    """One row of every registered tenant model, at Northwind."""
    payment = PaymentFactory(order=OrderFactory(customer=alice))
    key, _ = api_key_create(vendor=vendor, name="Website", user=northwind_staff)
    refund, _ = refund_record(
        payment=payment,
        amount=Decimal("1.00"),
        reason="requested_by_customer",
        refunded_at=timezone.now(),
        processor_ref="re_roles",
    )
    return {
        "vendor": vendor,
        "customer": alice,
        "order": payment.order,
        "payment": payment,
        "invoice": payment.invoice,
        "subscription": SubscriptionFactory(customer=alice),
        "auditevent": AuditEventFactory(vendor=vendor, customer=alice),
        "webhookevent": WebhookEventFactory(vendor=vendor),
        "apikey": key,
        "refund": refund,
        "creditnote": refund.credit_note,
        "stripeimport": StripeImport.objects.create(vendor=vendor),
        "vendormembership": VendorMembership.objects.get(user=northwind_staff),
    }


def tenant_admins():
    return {
        model._meta.model_name: model
        for model in admin.site._registry
        if model._meta.app_label in ("vendors", "billing")
    }


def test_the_walk_covers_every_tenant_admin():
    assert set(tenant_admins()) == SHARED | OWNER_ONLY | SUPERUSER_ONLY


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def urls(name: str, obj) -> dict[str, str]:
    opts = obj._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    return {
        "changelist": reverse(f"{prefix}_changelist"),
        "change": reverse(f"{prefix}_change", args=[obj.pk]),
        "history": reverse(f"{prefix}_history", args=[obj.pk]),
    }


def test_owners_open_everything_of_their_vendor(northwind_rows, northwind_staff):
    client = client_for(northwind_staff)
    for name, obj in northwind_rows.items():
        expected = 403 if name in SUPERUSER_ONLY else 200
        for kind, url in urls(name, obj).items():
            assert client.get(url).status_code == expected, (name, kind)


def test_support_staff_open_customers_and_history_only(northwind_rows, northwind_support):
    client = client_for(northwind_support)
    for name, obj in northwind_rows.items():
        for kind, url in urls(name, obj).items():
            status = client.get(url).status_code
            if name in SHARED:
                assert status == 200, (name, kind)
            elif kind == "changelist":
                assert status == 403, (name, kind)
            else:
                assert status in (403, 404), (name, kind)
    index = client.get(reverse("admin:index")).text
    assert "Customers" in index
    assert "Vendors" not in index and "API keys" not in index and "Webhook" not in index


def test_staff_of_another_vendor_get_404_for_every_northwind_row(northwind_rows, acme_staff):
    client = client_for(acme_staff)
    for name, obj in northwind_rows.items():
        for kind, url in urls(name, obj).items():
            status = client.get(url).status_code
            if kind == "changelist":
                assert status in (200, 403), (name, kind)
            elif name in SUPERUSER_ONLY:
                assert status == 403, (name, kind)
            else:
                assert status == 404, (name, kind)
    listing = client.get(reverse("admin:billing_customer_changelist")).text
    assert "alice@example.com" not in listing


def post_action(client, model_name, app, action, pks):
    return client.post(
        reverse(f"admin:{app}_{model_name}_changelist"),
        {"action": action, admin.helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]},
    )


def test_send_profile_link_action_works_for_owner_and_support_only(
    northwind_rows,
    northwind_staff,
    northwind_support,
    acme_staff,
    alice,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.PROFILE_LINK_COOLDOWN = 0  # roles here; the cooldown has its own tests
    with django_capture_on_commit_callbacks(execute=True):
        post_action(client_for(acme_staff), "customer", "billing", "send_profile_link", [alice.pk])
    assert mail.outbox == []
    for user in (northwind_support, northwind_staff):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = post_action(
                client_for(user), "customer", "billing", "send_profile_link", [alice.pk]
            )
        assert response.status_code == 302
        assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert AuditEvent.objects.filter(action="access.profile_link_sent").count() == 2


def test_send_profile_link_view_is_404_for_another_vendors_staff(
    northwind_rows, acme_staff, alice, django_capture_on_commit_callbacks
):
    url = reverse("admin:billing_customer_send_profile_link", args=[alice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(acme_staff).post(url).status_code == 404
    assert mail.outbox == []


def test_only_an_owner_revokes_an_api_key(
    northwind_rows, northwind_support, acme_staff, northwind_staff
):
    key = northwind_rows["apikey"]
    response = post_action(client_for(northwind_support), "apikey", "vendors", "revoke", [key.pk])
    assert response.status_code == 403
    post_action(client_for(acme_staff), "apikey", "vendors", "revoke", [key.pk])
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    post_action(client_for(northwind_staff), "apikey", "vendors", "revoke", [key.pk])
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_delete_is_offered_to_no_vendor_staff(northwind_rows, northwind_staff, northwind_support):
    for user in (northwind_staff, northwind_support):
        client = client_for(user)
        for name, obj in northwind_rows.items():
            opts = obj._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
            assert client.post(url, {"post": "yes"}).status_code in (403, 404), name
            assert type(obj).objects.filter(pk=obj.pk).exists()


def test_support_cannot_change_the_vendor_by_posting(northwind_rows, northwind_support, vendor):
    url = reverse("admin:vendors_vendor_change", args=[vendor.pk])
    response = client_for(northwind_support).post(url, {"name": "Taken over", "slug": "northwind"})
    assert response.status_code in (403, 404)
    vendor.refresh_from_db()
    assert vendor.name == "Northwind Courses"


def test_a_new_membership_is_support_unless_made_owner(vendor, db):
    from tests.factories import UserFactory

    membership = VendorMembership.objects.create(user=UserFactory(), vendor=vendor)
    assert membership.role == "support"


SECRETS = {
    "stripe_secret_key": "sk_test_support_never_sees_K1",
    "stripe_webhook_secret": "whsec_support_never_sees_K2",
    "stripe_webhook_secret_previous": "whsec_support_never_sees_K3",
    "paypal_client_secret": "paypal_support_never_sees_K4",
}


def test_support_staff_cannot_read_a_secret_by_any_admin_url(
    northwind_rows, northwind_support, vendor
):
    for name, value in SECRETS.items():
        setattr(vendor, name, value)
    vendor.save()
    client = client_for(northwind_support)
    paths = [reverse("admin:index"), "/admin/vendors/", "/admin/billing/", "/admin/jsi18n/"]
    for name, obj in northwind_rows.items():
        opts = obj._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        paths += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        for view in ("change", "history", "delete"):
            paths.append(reverse(f"{prefix}_{view}", args=[obj.pk]))
    paths.append("/admin/autocomplete/?app_label=billing&model_name=customer&field_name=vendor")
    posts = [
        reverse("admin:vendors_vendor_test_connection", args=[vendor.pk, "stripe"]),
        reverse("admin:vendors_vendor_test_connection", args=[vendor.pk, "paypal"]),
        reverse("admin:vendors_vendor_change", args=[vendor.pk]),
    ]
    responses = [client.get(p) for p in paths] + [client.post(p) for p in posts]
    assert all(r.status_code < 500 for r in responses)
    for response in responses:
        text = response.content.decode()
        for value in SECRETS.values():
            assert value not in text
            assert value[-4:] not in text, response.request["PATH_INFO"]
