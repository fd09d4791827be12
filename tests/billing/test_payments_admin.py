"""Staff's view of Payments II in the admin: failed webhook events with their
error (and processing them again), refunds, credit notes, and the Stripe
import started from the vendor's page with its progress."""

import pytest
import requests
from django.urls import reverse

from billing.models import StripeImport, WebhookEvent
from tests.factories import WebhookEventFactory


def test_a_failed_event_shows_its_error_to_staff(staff_client, vendor, other_vendor):
    WebhookEventFactory(vendor=vendor, outcome="failed", error="ProcessorError: unavailable")
    WebhookEventFactory(vendor=other_vendor, outcome="failed", error="Acme's own trouble")
    page = staff_client.get(reverse("admin:billing_webhookevent_changelist") + "?outcome=failed")
    assert page.status_code == 200
    body = page.content.decode()
    assert "ProcessorError: unavailable" in body
    assert "Acme" not in body


def test_staff_can_process_a_failed_event_again(
    staff_client, vendor, django_capture_on_commit_callbacks
):
    event = WebhookEventFactory(
        vendor=vendor, event_type="plan.created", outcome="failed", error="x",
        body='{"id": "evt_1", "type": "plan.created", "data": {"object": {"id": "plan_1"}}}',
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:billing_webhookevent_changelist"),
            {"action": "process_again", "_selected_action": [event.pk]},
        )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.outcome == "ignored"  # a type we do not handle: now settled
    assert event.attempts == 1


@pytest.mark.parametrize("model", ["refund", "creditnote", "stripeimport"])
def test_the_new_records_are_listed_read_only(staff_client, model):
    assert staff_client.get(reverse(f"admin:billing_{model}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"admin:billing_{model}_add")).status_code == 403


def test_the_import_runs_in_the_background_from_the_vendors_page(
    staff_client, stripe_vendor, localstripe, django_capture_on_commit_callbacks
):
    requests.delete(f"{localstripe}/_config/data", timeout=10).raise_for_status()
    requests.post(
        f"{localstripe}/v1/customers", data={"email": "fred@example.com"},
        auth=("sk_test_northwind", ""), timeout=5,
    ).raise_for_status()  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:vendors_vendor_changelist"),
            {"action": "stripe_import_from_admin", "_selected_action": [stripe_vendor.pk]},
        )
    assert response.status_code == 302
    run = StripeImport.objects.get(vendor=stripe_vendor)
    assert run.status == "done"
    assert run.counts["customers"] == {"created": 1}
    assert stripe_vendor.customers.filter(email="fred@example.com").exists()
    listing = staff_client.get(reverse("admin:billing_stripeimport_changelist"))
    assert "Done" in listing.content.decode()


def test_an_import_stripe_refuses_tells_the_operator_and_queues_nothing(
    staff_client, stripe_vendor, django_capture_on_commit_callbacks
):
    stripe_vendor.stripe_secret_key = "rk_revoked"  # the fake answers 401, as Stripe does
    stripe_vendor.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:vendors_vendor_changelist"),
            {"action": "stripe_import_from_admin", "_selected_action": [stripe_vendor.pk]},
            follow=True,
        )
    page = response.content.decode()
    assert "Stripe refused northwind&#x27;s secret key" in page
    assert "contact the seller" not in page
    assert not StripeImport.objects.exists()


def test_the_vendor_form_takes_a_previous_webhook_secret(staff_client, vendor):
    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk]))
    assert 'name="stripe_webhook_secret_previous"' in page.content.decode()
    assert WebhookEvent.objects.count() == 0
