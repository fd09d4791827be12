"""The vendors' view of billing records in the admin: read-only, and staff
of one vendor see nothing of another's."""

import pytest
from django.urls import reverse

from tests.factories import (
    AuditEventFactory,
    PaymentFactory,
    SubscriptionFactory,
    UserFactory,
    WebhookEventFactory,
)

MODELS = ["order", "subscription", "payment", "invoice", "auditevent", "webhookevent"]


@pytest.fixture
def records(alice, acme_alice):
    """One record of each kind at Northwind and at Acme, keyed by model name."""

    def make(customer, tag):
        payment = PaymentFactory(order__customer=customer, order__number=f"{tag}-1001")
        return {
            "order": payment.order,
            "subscription": SubscriptionFactory(customer=customer, processor_id=f"sub_{tag}"),
            "payment": payment,
            "invoice": payment.invoice,
            "auditevent": AuditEventFactory(vendor=customer.vendor, action=f"{tag}.event"),
            "webhookevent": WebhookEventFactory(vendor=customer.vendor, event_id=f"evt_{tag}"),
        }

    return {"own": make(alice, "NW"), "other": make(acme_alice, "AC")}


@pytest.mark.parametrize("model", MODELS)
def test_staff_see_only_their_vendors_records(staff_client, records, model):
    listing = staff_client.get(reverse(f"admin:billing_{model}_changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert list(listing.context["cl"].result_list) == [records["own"][model]]
    own = staff_client.get(
        reverse(f"admin:billing_{model}_change", args=[records["own"][model].pk])
    )
    assert own.status_code == 200
    other = staff_client.get(
        reverse(f"admin:billing_{model}_change", args=[records["other"][model].pk])
    )
    # An object outside the staff user's vendors is a 404, as if it did not exist.
    assert other.status_code == 404


@pytest.mark.parametrize("model", MODELS)
def test_billing_records_are_read_only(staff_client, records, model):
    record = records["own"][model]
    assert staff_client.get(reverse(f"admin:billing_{model}_add")).status_code == 403
    assert (
        staff_client.get(reverse(f"admin:billing_{model}_delete", args=[record.pk])).status_code
        == 403
    )
    change = staff_client.post(reverse(f"admin:billing_{model}_change", args=[record.pk]), {})
    assert change.status_code == 403


def test_a_superuser_sees_every_vendors_records(client, records):
    client.force_login(UserFactory(username="root", is_superuser=True))
    listing = client.get(reverse("admin:billing_payment_changelist"))
    assert listing.context["cl"].result_count == 2
