"""customer_sync_to_processor: a customer's own changes reach their Stripe
customer, in a task; a processor failure never loses the local change and
shows in the audit log."""

import pytest

from billing.models import AuditEvent
from billing.processors.adapters import adapter_for
from billing.provisioning import stripe_customer_ensure
from billing.services import customer_update_profile
from billing.tasks import customer_sync_task

CHANGES = {
    "name": "Alice B. Adams",
    "email": "alice@example.com",
    "address_line1": "1 Elm Street",
    "address_line2": "",
    "city": "Portland",
    "postal_code": "97201",
    "state": "OR",
    "country": "US",
}


@pytest.fixture
def alice_at_stripe(stripe_vendor, alice):
    stripe_customer_ensure(customer=alice)
    return alice


def stripe_customer(customer):
    return adapter_for(vendor=customer.vendor, processor="stripe").customer_get(
        customer_id=customer.stripe_customer_id
    )


def test_a_profile_change_is_pushed_to_stripe(alice_at_stripe, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        changed = customer_update_profile(customer=alice_at_stripe, data=CHANGES)
    assert "name" in changed
    remote = stripe_customer(alice_at_stripe)
    assert remote.name == "Alice B. Adams"
    assert remote.address.line1 == "1 Elm Street" and remote.address.postal_code == "97201"
    assert remote.address.country == "US"


def test_pushing_twice_is_harmless(alice_at_stripe):
    customer_sync_task(alice_at_stripe.pk)
    customer_sync_task(alice_at_stripe.pk)
    assert stripe_customer(alice_at_stripe).email == "alice@example.com"
    assert not AuditEvent.objects.filter(action="customer.sync_failed").exists()


def test_a_customer_without_a_stripe_customer_is_not_pushed(
    stripe_vendor, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        customer_update_profile(customer=alice, data={**CHANGES, "name": "New"})
    alice.refresh_from_db()
    assert alice.name == "New" and alice.stripe_customer_id == ""
    # Only the profile's own callback ran; no push was queued.
    assert len(callbacks) == 1


def test_a_processor_outage_keeps_the_local_change_and_is_audited(
    alice_at_stripe, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PROCESSOR_SYNC_MAX_RETRIES = 0
    with django_capture_on_commit_callbacks(execute=True):
        customer_update_profile(customer=alice_at_stripe, data={**CHANGES, "name": "Kept"})
    alice_at_stripe.refresh_from_db()
    assert alice_at_stripe.name == "Kept"
    event = AuditEvent.objects.get(action="customer.sync_failed")
    assert event.customer == alice_at_stripe and event.details["code"] in {"network", "unavailable"}
    assert "sk_test" not in str(event.details)
