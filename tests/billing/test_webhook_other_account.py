"""An event naming an object its vendor's own processor account cannot read
creates nothing (issue 21, point 3): signed with the vendor's secret or not,
the object is re-read with the vendor's key, and "no such object" ends it.

With one localstripe every key reads every object, so here the objects are
ones that account never had; tests/integration/test_demo_accounts.py shows
two vendors on two fake accounts."""

import json
import logging

import pytest

from billing.models import Customer, Order, Payment, Subscription, WebhookEvent
from tests.support.webhooks import SECRET, post_stripe, stripe_event


@pytest.fixture
def hooked_vendor(stripe_vendor):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    return stripe_vendor


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("invoice.payment_succeeded", {"id": "in_elsewhere", "object": "invoice"}),
        ("customer.subscription.created", {"id": "sub_elsewhere", "object": "subscription"}),
        ("customer.updated", {"id": "cus_elsewhere", "object": "customer"}),
        ("charge.refunded", {"id": "ch_elsewhere", "object": "charge"}),
    ],
)
def test_an_object_the_vendors_account_cannot_read_creates_nothing(
    client, hooked_vendor, django_capture_on_commit_callbacks, kind, obj, caplog
):
    payload = stripe_event(kind, {**obj, "customer": "cus_elsewhere", "email": "x@example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        assert post_stripe(client, payload).status_code == 200
    event = WebhookEvent.objects.get(event_id=json.loads(payload)["id"])
    # Settled, not retried for hours: asking again cannot change the answer.
    assert (event.outcome, event.attempts) == ("ignored", 1)
    assert event.error == "the object is not in this vendor's processor account"
    # Someone may be sending signed events meant for another account: the
    # warning names the stored event, where staff find its body.
    assert (
        logging.WARNING,
        f"webhook event {event.pk} names an object its vendor cannot read",
    ) in [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "billing.processors.webhooks"
    ]
    for model in (Customer, Subscription, Order, Payment):
        assert not model.objects.exists(), model
