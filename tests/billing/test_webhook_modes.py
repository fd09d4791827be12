"""Live and test mode, repeated tasks and malformed deliveries (issue 27):
a break here silently ignores every production webhook, or processes one
twice, and nothing else would notice."""

import json
import uuid

import pytest
from django.core import mail

from billing.models import Subscription, WebhookEvent
from billing.processors.webhooks import vendor_livemode
from billing.tasks import webhook_event_process_task
from tests.support.fake_paypal import signed_headers
from tests.support.processor_fixtures import paypal_calls
from tests.support.webhooks import SECRET, post_stripe, stripe_event

from .test_paypal_webhooks import WEBHOOK_ID, paypal_sub

PAYPAL_URL = "/webhooks/paypal/northwind/"


@pytest.mark.parametrize(
    ("key", "live"),
    [
        ("sk_live_abc", True),
        ("rk_live_abc", True),  # a restricted key is as live as a secret key
        ("sk_test_abc", False),
        ("rk_test_abc", False),
        ("", False),
    ],
)
def test_a_stripe_vendor_is_live_with_a_live_secret_or_restricted_key(vendor, key, live):
    vendor.stripe_secret_key = key
    assert vendor_livemode(vendor, "stripe") is live
    # The PayPal setting says nothing about Stripe, and the reverse.
    vendor.paypal_environment = "sandbox" if live else "live"
    assert vendor_livemode(vendor, "stripe") is live
    assert vendor_livemode(vendor, "paypal") is not live


@pytest.fixture
def paypal_hooked(paypal_vendor):
    paypal_vendor.paypal_webhook_id = WEBHOOK_ID
    paypal_vendor.save()
    return paypal_vendor


def paypal_body(kind, resource, **fields) -> bytes:
    event = {
        "id": f"WH-{uuid.uuid4().hex[:16]}",
        "create_time": "2026-11-28T10:00:00Z",
        "resource_type": "subscription",
        "event_type": kind,
        "resource": resource,
        **fields,
    }
    return json.dumps({k: v for k, v in event.items() if v is not None}).encode()


def deliver_paypal(client, capture, body: bytes):
    meta = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in signed_headers(webhook_id=WEBHOOK_ID, body=body).items()
    }
    with capture(execute=True):
        return client.post(PAYPAL_URL, data=body, content_type="application/json", **meta)


def test_a_live_paypal_vendor_processes_its_deliveries(
    client, paypal_hooked, paypal_api, django_capture_on_commit_callbacks
):
    paypal_hooked.paypal_environment = "live"
    paypal_hooked.save()
    remote = paypal_sub(paypal_api)
    body = paypal_body("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    response = deliver_paypal(client, django_capture_on_commit_callbacks, body)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.livemode is True
    assert (event.outcome, event.error) == ("processed", "")
    assert Subscription.objects.filter(processor_id=remote["id"]).exists()


def test_a_sandbox_event_at_a_vendor_gone_live_is_kept_and_ignored(
    client, paypal_hooked, paypal_api, django_capture_on_commit_callbacks
):
    remote = paypal_sub(paypal_api)
    body = paypal_body("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    with django_capture_on_commit_callbacks(execute=False):
        meta = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in signed_headers(webhook_id=WEBHOOK_ID, body=body).items()
        }
        assert client.post(PAYPAL_URL, data=body, content_type="application/json", **meta)
    event = WebhookEvent.objects.get()
    assert event.livemode is False
    # Between receiving and processing, the vendor switched to live.
    paypal_hooked.paypal_environment = "live"
    paypal_hooked.save()
    webhook_event_process_task.delay(event.pk)
    event.refresh_from_db()
    assert (event.outcome, event.error) == ("ignored", "livemode does not match the vendor")
    assert not Subscription.objects.exists()


def test_a_test_mode_stripe_event_at_a_restricted_live_key_vendor_is_ignored(
    client, stripe_vendor, django_capture_on_commit_callbacks
):
    stripe_vendor.stripe_secret_key = "rk_live_northwind"
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    payload = stripe_event("customer.subscription.updated", {"id": "sub_x"}, livemode=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_stripe(client, payload).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.livemode is False
    assert (event.outcome, event.error) == ("ignored", "livemode does not match the vendor")


def test_a_task_for_an_event_already_processed_does_nothing(
    client, paypal_hooked, paypal_api, django_capture_on_commit_callbacks
):
    remote = paypal_sub(paypal_api)
    body = paypal_body("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    deliver_paypal(client, django_capture_on_commit_callbacks, body)
    event = WebhookEvent.objects.get()
    assert (event.outcome, event.attempts) == ("processed", 1)
    calls, receipts = len(paypal_calls(paypal_api)), len(mail.outbox)
    # Redelivered by the broker (or re-queued by hand): no second effect.
    webhook_event_process_task.delay(event.pk)
    webhook_event_process_task.delay(event.pk)
    after = WebhookEvent.objects.get()
    assert (after.outcome, after.attempts, after.processed_at) == (
        "processed",
        1,
        event.processed_at,
    )
    assert len(paypal_calls(paypal_api)) == calls  # PayPal was not asked again
    assert len(mail.outbox) == receipts


def test_a_task_for_an_ignored_event_does_nothing(
    client, stripe_vendor, django_capture_on_commit_callbacks
):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    payload = stripe_event("charge.captured", {"id": "ch_x"})
    with django_capture_on_commit_callbacks(execute=True):
        post_stripe(client, payload)
    event = WebhookEvent.objects.get()
    assert (event.outcome, event.attempts) == ("ignored", 1)
    webhook_event_process_task.delay(event.pk)
    assert WebhookEvent.objects.get().attempts == 1


def test_a_task_for_a_deleted_event_does_nothing(db):
    webhook_event_process_task.delay(10**9)
    assert not WebhookEvent.objects.exists()


def test_a_validly_signed_paypal_delivery_without_an_id_is_refused(
    client, paypal_hooked, paypal_api, django_capture_on_commit_callbacks
):
    for missing in (None, ""):
        body = paypal_body("BILLING.SUBSCRIPTION.ACTIVATED", {"id": "I-X"}, id=missing)
        response = deliver_paypal(client, django_capture_on_commit_callbacks, body)
        assert response.status_code == 400
        assert response.json() == {"error": "invalid event"}
    assert not WebhookEvent.objects.exists()


def test_a_paypal_delivery_keeps_its_fields_and_only_the_paypal_headers(
    client, paypal_hooked, paypal_api, django_capture_on_commit_callbacks
):
    remote = paypal_sub(paypal_api)
    body = paypal_body(
        "BILLING.SUBSCRIPTION.UPDATED", {"id": remote["id"]}, create_time="2026-11-28T10:00:00Z"
    )
    response = deliver_paypal(client, django_capture_on_commit_callbacks, body)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    data = json.loads(body)
    assert event.event_id == data["id"] and event.event_type == "BILLING.SUBSCRIPTION.UPDATED"
    assert event.occurred_at.isoformat() == "2026-11-28T10:00:00+00:00"
    assert event.body == body.decode()
    assert set(event.headers) <= {"Paypal-Transmission-Id", "Paypal-Transmission-Time"}
    assert event.headers  # the transmission id at least, for support
    assert not [v for v in event.headers.values() if "SIG" in v.upper()]


def test_a_signed_stripe_delivery_without_an_id_is_refused(
    client, stripe_vendor, django_capture_on_commit_callbacks
):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    event = json.loads(stripe_event("customer.updated", {"id": "cus_x"}))
    event["id"] = ""
    response = post_stripe(client, json.dumps(event).encode())
    assert response.status_code == 400
    assert response.json() == {"error": "invalid event"}
    assert not WebhookEvent.objects.exists()


def test_a_stripe_delivery_keeps_the_signature_header_and_the_event_time(
    client, stripe_vendor, django_capture_on_commit_callbacks
):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    payload = stripe_event("charge.captured", {"id": "ch_x"})
    with django_capture_on_commit_callbacks(execute=True):
        response = post_stripe(client, payload)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.headers["Stripe-Signature"].startswith("t=")
    assert int(event.occurred_at.timestamp()) == json.loads(payload)["created"]


def test_a_paypal_vendor_without_api_credentials_refuses_deliveries(
    client, paypal_hooked, paypal_api, django_capture_on_commit_callbacks
):
    paypal_hooked.paypal_client_id = ""
    paypal_hooked.save()
    body = paypal_body("BILLING.SUBSCRIPTION.ACTIVATED", {"id": "I-X"})
    response = deliver_paypal(client, django_capture_on_commit_callbacks, body)
    assert response.status_code == 400
    assert response.json() == {"error": "webhooks not configured"}
    assert not WebhookEvent.objects.exists()


def test_a_paypal_delivery_without_a_time_is_kept_without_one(
    client, paypal_hooked, paypal_api, django_capture_on_commit_callbacks
):
    # A time that is there but is no time is junk (a 400: issue 21 point 9,
    # tests/billing/test_webhook_junk.py); one that is missing is no reason
    # to lose the event.
    body = paypal_body("PAYMENT.SALE.PENDING", {"id": "S-1"}, create_time=None)
    response = deliver_paypal(client, django_capture_on_commit_callbacks, body)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.occurred_at is None
    assert event.event_type == "PAYMENT.SALE.PENDING"
