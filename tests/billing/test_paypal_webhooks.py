"""POST /webhooks/paypal/<account>/ against the fake PayPal: deliveries are
verified by its verify-webhook-signature API with the vendor's webhook id,
stored once, and processed by re-reading the subscription from PayPal."""

import json
import uuid
from decimal import Decimal

import pytest
import requests
from django.core import mail

from billing.models import Customer, Payment, Subscription, WebhookEvent
from tests.support.fake_paypal import signed_headers

WEBHOOK_ID = "WH-NORTHWIND-1"


@pytest.fixture
def hooked(paypal_vendor):
    paypal_vendor.paypal_webhook_id = WEBHOOK_ID
    paypal_vendor.save()
    return paypal_vendor


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks, hooked):
    def send(kind, resource, *, event_id="", webhook_id=WEBHOOK_ID, headers=None, body=None):
        body = (
            body
            or json.dumps(
                {
                    "id": event_id or f"WH-{uuid.uuid4().hex[:16]}",
                    "event_version": "1.0",
                    "create_time": "2026-11-28T10:00:00Z",
                    "resource_type": "subscription",
                    "event_type": kind,
                    "resource": resource,
                }
            ).encode()
        )
        headers = headers or signed_headers(webhook_id=webhook_id, body=body)
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/webhooks/paypal/northwind/", data=body, content_type="application/json", **meta
            )

    return send


def paypal_sub(base, **fields):
    body = {
        "status": "ACTIVE",
        "product_name": "Community Access",
        "amount": {"currency_code": "USD", "value": "9.00"},
        "subscriber": {
            "email_address": "casey@example.com",
            "payer_id": "PAYERCASEY01",
            "name": {"given_name": "Casey", "surname": "Lee"},
        },
        **fields,
    }
    response = requests.post(f"{base}/_fake/subscriptions", json=body, timeout=5)
    response.raise_for_status()
    return response.json()


def test_a_delivery_signed_for_another_webhook_id_is_refused(deliver, paypal_api):
    response = deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": "I-X"}, webhook_id="WH-OTHER")
    assert response.status_code == 400
    assert response.json() == {"error": "bad signature"}
    assert not WebhookEvent.objects.exists()


def test_a_delivery_without_signature_headers_is_refused(client, hooked, paypal_api):
    response = client.post(
        "/webhooks/paypal/northwind/", data=b'{"id": "WH-1"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_tampered_body_is_refused(deliver, paypal_api):
    body = json.dumps({"id": "WH-T", "event_type": "X", "resource": {"id": "I-1"}}).encode()
    headers = signed_headers(webhook_id=WEBHOOK_ID, body=body)
    response = deliver("X", {}, body=body.replace(b"I-1", b"I-2"), headers=headers)
    assert response.status_code == 400


def test_an_unknown_account_and_bad_json_are_400(client, deliver, paypal_api):
    assert (
        client.post(
            "/webhooks/paypal/nobody/", data=b"{}", content_type="application/json"
        ).status_code
        == 400
    )
    dummy = {"PAYPAL-TRANSMISSION-ID": "x", "PAYPAL-TRANSMISSION-SIG": "y"}
    assert deliver("X", {}, body=b"{nope", headers=dummy).status_code == 400


def test_subscription_activated_creates_customer_subscription_and_payment(deliver, paypal_api):
    remote = paypal_sub(paypal_api)

    response = deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]}, event_id="WH-A1")
    again = deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]}, event_id="WH-A1")

    assert response.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    event = WebhookEvent.objects.get()
    assert (event.processor, event.outcome) == ("paypal", "processed")
    customer = Customer.objects.get(paypal_payer_id="PAYERCASEY01")
    assert customer.email == "casey@example.com"
    subscription = Subscription.objects.get(processor="paypal", processor_id=remote["id"])
    assert (subscription.status, subscription.amount) == ("active", Decimal("9.00"))
    payment = Payment.objects.get(customer=customer)
    assert payment.status == "paid" and payment.invoice.number == "NORTHWIND-000001"
    assert len(mail.outbox) == 1  # the receipt


@pytest.mark.parametrize(
    "kind, status, expected",
    [
        ("BILLING.SUBSCRIPTION.UPDATED", "ACTIVE", "active"),
        ("BILLING.SUBSCRIPTION.CANCELLED", "CANCELLED", "canceled"),
        ("BILLING.SUBSCRIPTION.SUSPENDED", "SUSPENDED", "paused"),
    ],
)
def test_subscription_events_follow_paypals_state(deliver, paypal_api, kind, status, expected):
    remote = paypal_sub(paypal_api, status=status)
    assert deliver(kind, {"id": remote["id"], "status": "ACTIVE"}).status_code == 200
    subscription = Subscription.objects.get(processor_id=remote["id"])
    assert subscription.status == expected  # PayPal's word, not the event body's


def test_payment_failed_records_a_failed_payment_and_one_notice(deliver, paypal_api):
    remote = paypal_sub(
        paypal_api,
        transactions=[
            {
                "id": "TX-DECLINED-1",
                "status": "DECLINED",
                "amount_with_breakdown": {
                    "gross_amount": {"currency_code": "USD", "value": "9.00"}
                },
                "time": "2026-11-27T10:00:00Z",
            }
        ],
    )
    deliver("BILLING.SUBSCRIPTION.PAYMENT.FAILED", {"id": remote["id"]})
    deliver("BILLING.SUBSCRIPTION.PAYMENT.FAILED", {"id": remote["id"]})

    payment = Payment.objects.get(processor_ref="TX-DECLINED-1")
    assert payment.status == "failed"
    assert len(mail.outbox) == 1
    assert "failed" in mail.outbox[0].subject


def test_sale_completed_then_refunded_partially(deliver, paypal_api):
    remote = paypal_sub(paypal_api)
    sale = {"id": "SALE-1", "billing_agreement_id": remote["id"], "state": "completed"}
    deliver("PAYMENT.SALE.COMPLETED", sale)
    payment = Payment.objects.get(processor="paypal")
    # The fake's made-up transaction id is the sale's id at PayPal.
    refund = {
        "id": "REFUND-1",
        "sale_id": payment.processor_ref,
        "amount": {"total": "4.00", "currency": "USD"},
        "create_time": "2026-11-28T11:00:00Z",
    }
    deliver("PAYMENT.SALE.REFUNDED", refund)
    deliver("PAYMENT.SALE.REFUNDED", refund)  # redelivered under a new event id

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("4.00"))
    assert payment.refunds.get().credit_note.number == "NORTHWIND-CN-000001"


def test_a_vendor_without_a_paypal_webhook_id_refuses_deliveries(client, paypal_vendor):
    body = b'{"id": "WH-1", "event_type": "X", "resource": {}}'
    headers = signed_headers(webhook_id=WEBHOOK_ID, body=body)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = client.post(
        "/webhooks/paypal/northwind/", data=body, content_type="application/json", **meta
    )
    assert response.status_code == 400
    assert response.json() == {"error": "webhooks not configured"}
