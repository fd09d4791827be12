"""Cancellation requests in the vendor console: scoped to the vendor, open /
done / rejected, one action that cancels the matched subscription (processor
first), a rejection that emails the customer."""

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import AuditEvent
from billing.processors.adapters import adapter_for
from rights.models import CancellationDeclaration
from tests.factories import OrderFactory, SubscriptionFactory
from tests.support.processor_fixtures import stripe_subscription

LIST = "/admin/rights/cancellationdeclaration/"


def request_for(vendor, subscription=None, **fields):
    values = {
        "vendor": vendor,
        "created_at": timezone.now().replace(microsecond=0),
        "kind": "extraordinary",
        "reason": "Moved abroad",
        "name": "Alice Adams",
        "email": "alice@example.com",
        "order_number": "ORD-7001",
        "when": "asap",
        "status": "open",
        "subscription": subscription,
        "customer": subscription.customer if subscription else None,
        "token_hash": f"{vendor.pk}-{timezone.now().timestamp()}-{fields.get('name', '')}",
    }
    values.update(fields)
    return CancellationDeclaration.objects.create(**values)


def act(client, action, declaration):
    return client.post(LIST, {"action": action, "_selected_action": [declaration.pk]}, follow=True)


def test_staff_see_their_vendors_requests_only(
    client, vendor, other_vendor, northwind_staff, acme_staff
):
    mine = request_for(vendor, name="Northwind Person")
    theirs = request_for(other_vendor, name="Acme Person")
    client.force_login(acme_staff)
    html = client.get(LIST).content.decode()
    assert "Acme Person" in html and "Northwind Person" not in html
    assert client.get(f"{LIST}{mine.pk}/change/").status_code == 404
    response = act(client, "reject", mine)
    mine.refresh_from_db()
    assert mine.status == "open"
    client.force_login(northwind_staff)
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code == 404
    assert "Northwind Person" in client.get(LIST).content.decode()
    assert response.status_code == 200


def test_the_declaration_itself_cannot_be_edited(staff_client, vendor):
    declaration = request_for(vendor)
    staff_client.post(
        f"{LIST}{declaration.pk}/change/",
        {"name": "Someone Else", "rejection_message": "Your contract ends in March."},
    )
    declaration.refresh_from_db()
    assert declaration.name == "Alice Adams"
    assert declaration.rejection_message == "Your contract ends in March."


def test_one_action_cancels_the_matched_subscription_at_stripe(
    staff_client, stripe_vendor, alice, northwind_staff, django_capture_on_commit_callbacks
):
    sub = stripe_subscription(alice)
    OrderFactory(customer=alice, number="ORD-7001", subscription=sub)
    declaration = request_for(stripe_vendor, sub)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(staff_client, "cancel_matched_subscription", declaration)
    assert "is cancelled" in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == "done" and declaration.handled_by == northwind_staff
    remote = adapter_for(vendor=stripe_vendor, processor="stripe").subscription_get(
        subscription_id=sub.processor_id
    )
    assert remote.cancel_at_period_end is True
    event = AuditEvent.objects.get(action="subscription.canceled")
    assert event.actor == "staff" and event.user == northwind_staff
    assert event.details["source"] == "cancellation request"
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_refused_processor_call_leaves_the_request_open(
    staff_client, stripe_vendor, alice, settings
):
    sub = SubscriptionFactory(customer=alice, processor_id="sub_does_not_exist")
    declaration = request_for(stripe_vendor, sub)
    response = act(staff_client, "cancel_matched_subscription", declaration)
    assert "the request stays open" in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == "open"


def test_a_rejection_sends_the_message_to_the_customer(
    staff_client, vendor, django_capture_on_commit_callbacks
):
    declaration = request_for(vendor)
    response = act(staff_client, "reject", declaration)
    assert "write the message to the customer" in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == "open" and mail.outbox == []
    declaration.rejection_message = "We found no contract under that Order ID."
    declaration.save()
    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "reject", declaration)
    declaration.refresh_from_db()
    assert declaration.status == "rejected" and declaration.handled_at
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert "We found no contract under that Order ID." in email.body


@pytest.mark.parametrize("action", ["mark_done", "reject", "cancel_matched_subscription"])
def test_a_handled_request_is_not_handled_again(staff_client, vendor, action):
    declaration = request_for(vendor, status="done", rejection_message="x")
    act(staff_client, action, declaration)
    declaration.refresh_from_db()
    assert declaration.status == "done" and mail.outbox == []
