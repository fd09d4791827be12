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
from billing.processors.adapters import adapter_for
from billing.refunds import refund_record
from tests.support.fake_paypal import event_body, signed_headers
from tests.support.processor_fixtures import paypal_calls

WEBHOOK_ID = "7NW12345AB678901C"  # PayPal's shape: letters and digits


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
    response = deliver(
        "BILLING.SUBSCRIPTION.ACTIVATED", {"id": "I-X"}, webhook_id="8OTHER12345678901"
    )
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


def fake(base, path, **body):
    response = requests.post(f"{base}{path}", json=body, timeout=5)
    response.raise_for_status()
    return response.json() if response.content else None


def deliver_raw(client, body, *, webhook_id=WEBHOOK_ID):
    headers = signed_headers(webhook_id=webhook_id, body=body)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(
        "/webhooks/paypal/northwind/", data=body, content_type="application/json", **meta
    )


def test_sale_completed_then_refunded_partially_with_paypals_negative_total(deliver, paypal_api):
    remote = paypal_sub(paypal_api)
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    payment = Payment.objects.get(processor="paypal", processor_ref=sale["id"])
    refund = fake(paypal_api, "/_fake/refunds", sale_id=sale["id"], value="4.00")
    assert refund["amount"]["total"] == "-4.00"  # as PayPal writes it

    assert deliver("PAYMENT.SALE.REFUNDED", refund).status_code == 200
    deliver("PAYMENT.SALE.REFUNDED", refund)  # redelivered under a new event id

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("4.00"))
    assert payment.refunds.get().credit_note.number == "NORTHWIND-CN-000001"


def test_a_refund_made_from_the_hub_is_recorded_once_when_its_event_arrives(
    deliver, paypal_api, hooked
):
    """The withdrawal action refunds through the API and records the refund
    under PayPal's refund id; PayPal's PAYMENT.SALE.REFUNDED for it names
    the same id and adds nothing."""
    remote = paypal_sub(paypal_api)
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    payment = Payment.objects.get(processor="paypal", processor_ref=sale["id"])
    adapter = adapter_for(vendor=hooked, processor="paypal")
    made = adapter.refund_create(charge_id=sale["id"], idempotency_key="hub-test-1")
    refund_record(
        payment=payment,
        amount=made.amount,
        reason="withdrawal",
        refunded_at=made.created,
        processor_ref=made.id,
    )
    token = requests.post(
        f"{paypal_api}/v1/oauth2/token", auth=("id", "secret"), data="grant_type=x", timeout=5
    ).json()["access_token"]
    event_resource = requests.get(
        f"{paypal_api}/v1/payments/refund/{made.id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).json()

    assert deliver("PAYMENT.SALE.REFUNDED", event_resource).status_code == 200

    assert WebhookEvent.objects.get(event_type="PAYMENT.SALE.REFUNDED").outcome == "processed"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("9.00"))
    assert payment.refunds.get().processor_ref == made.id


def paypal_get(base, path):
    """GET PayPal's API of the fake as a client would (bearer token)."""
    token = requests.post(
        f"{base}/v1/oauth2/token", auth=("id", "secret"), data="grant_type=x", timeout=5
    ).json()["access_token"]
    response = requests.get(
        f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    response.raise_for_status()
    return response.json()


def test_a_refund_made_from_the_hub_is_recorded_once_when_paypal_reports_it_as_a_capture(
    deliver, paypal_api, hooked
):
    """The hub refunds through the v2 payments API, which PayPal reports as
    PAYMENT.CAPTURE.REFUNDED (a v2 refund naming the sale only in its `up`
    link), and may report as PAYMENT.SALE.REFUNDED too: all three carry the
    one refund id, so the refund is recorded once, with one credit note."""
    remote = paypal_sub(paypal_api)
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    payment = Payment.objects.get(processor="paypal", processor_ref=sale["id"])
    adapter = adapter_for(vendor=hooked, processor="paypal")
    made = adapter.refund_create(
        charge_id=sale["id"], amount=Decimal("4.00"), idempotency_key="hub-test-2"
    )
    refund_record(
        payment=payment,
        amount=made.amount,
        reason="withdrawal",
        refunded_at=made.created,
        processor_ref=made.id,
    )
    as_capture = paypal_get(paypal_api, f"/v2/payments/refunds/{made.id}")
    as_sale = paypal_get(paypal_api, f"/v1/payments/refund/{made.id}")
    assert as_capture["id"] == as_sale["id"] == made.id
    assert "sale_id" not in as_capture and as_capture["amount"]["value"] == "4.00"

    assert deliver("PAYMENT.CAPTURE.REFUNDED", as_capture).status_code == 200
    assert deliver("PAYMENT.SALE.REFUNDED", as_sale).status_code == 200

    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {"processed"}
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("4.00"))
    refund = payment.refunds.get()
    assert (refund.processor_ref, refund.reason) == (made.id, "withdrawal")
    assert refund.credit_note.number == "NORTHWIND-CN-000001"


def test_a_refund_paypal_reports_as_a_capture_refund_is_recorded_from_its_up_link(
    deliver, paypal_api
):
    remote = paypal_sub(paypal_api)
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    refund = fake(paypal_api, "/_fake/refunds", sale_id=sale["id"], value="4.00", v2=True)
    [up] = [link["href"] for link in refund["links"] if link["rel"] == "up"]
    assert up.endswith(f"/v2/payments/captures/{sale['id']}")

    assert deliver("PAYMENT.CAPTURE.REFUNDED", refund).status_code == 200
    deliver("PAYMENT.CAPTURE.REFUNDED", refund)  # redelivered under a new event id

    payment = Payment.objects.get(processor_ref=sale["id"])
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("4.00"))
    recorded = payment.refunds.get()
    assert recorded.processor_ref == refund["id"]
    assert recorded.credit_note.number == "NORTHWIND-CN-000001"


def test_a_capture_reversal_is_recorded_as_a_chargeback(deliver, paypal_api):
    remote = paypal_sub(paypal_api)
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    reversal = fake(
        paypal_api, "/_fake/refunds", sale_id=sale["id"], value="9.00", reversal=True, v2=True
    )

    assert deliver("PAYMENT.CAPTURE.REVERSED", reversal).status_code == 200

    payment = Payment.objects.get(processor_ref=sale["id"])
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("9.00"))
    assert payment.refunds.get().reason == "Payment reversed by PayPal (chargeback)"


def test_a_capture_refund_paypal_could_not_make_is_not_recorded(deliver, paypal_api):
    remote = paypal_sub(paypal_api)
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    refund = fake(paypal_api, "/_fake/refunds", sale_id=sale["id"], value="4.00", v2=True)

    deliver("PAYMENT.CAPTURE.REFUNDED", {**refund, "status": "FAILED"})

    payment = Payment.objects.get(processor_ref=sale["id"])
    assert (payment.status, payment.refunds.count()) == ("paid", 0)
    assert WebhookEvent.objects.get(event_type="PAYMENT.CAPTURE.REFUNDED").outcome == "ignored"


def test_a_capture_refund_naming_no_captured_payment_is_ignored(deliver, paypal_api):
    resource = {
        "id": "1Y107995YT783435V",
        "status": "COMPLETED",
        "amount": {"currency_code": "USD", "value": "1.00"},
        "links": [{"href": "https://api.paypal.com/v2/payments/refunds/1Y107995YT783435V",
                   "rel": "self", "method": "GET"}],
    }  # fmt: skip

    assert deliver("PAYMENT.CAPTURE.REFUNDED", resource).status_code == 200

    assert WebhookEvent.objects.get().outcome == "ignored"


def test_a_reversal_is_recorded_as_a_refund_with_its_credit_note(deliver, paypal_api):
    remote = paypal_sub(paypal_api)
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    reversal = fake(paypal_api, "/_fake/refunds", sale_id=sale["id"], value="9.00", reversal=True)
    assert "sale_id" not in reversal  # PayPal's event does not name the sale

    response = deliver("PAYMENT.SALE.REVERSED", reversal)

    assert response.status_code == 200
    assert WebhookEvent.objects.get(event_type="PAYMENT.SALE.REVERSED").outcome == "processed"
    payment = Payment.objects.get(processor_ref=sale["id"])
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("9.00"))
    refund = payment.refunds.get()
    assert refund.reason == "Payment reversed by PayPal (chargeback)"
    assert refund.credit_note.number == "NORTHWIND-CN-000001"


def test_an_expired_subscription_ends(deliver, paypal_api):
    remote = paypal_sub(paypal_api)
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    expired = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/expire")

    deliver("BILLING.SUBSCRIPTION.EXPIRED", expired)

    subscription = Subscription.objects.get(processor_id=remote["id"])
    assert (subscription.status, subscription.next_payment_at) == ("canceled", None)
    assert subscription.canceled_at is not None


def test_a_failed_transaction_is_a_failed_renewal_with_a_paypal_notice(deliver, paypal_api):
    remote = paypal_sub(paypal_api)
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    mail.outbox.clear()
    failed = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew", status="FAILED")
    assert failed["transaction"]["status"] == "FAILED"

    deliver("BILLING.SUBSCRIPTION.PAYMENT.FAILED", failed["subscription"])

    payment = Payment.objects.get(processor_ref=failed["transaction"]["id"])
    assert (payment.status, payment.amount) == ("failed", Decimal("9.00"))
    subscription = Subscription.objects.get(processor_id=remote["id"])
    assert subscription.status == "past_due"
    [notice] = mail.outbox
    assert "failed" in notice.subject
    assert "in your PayPal account" in notice.body
    assert "update your card" not in notice.body
    [(html, _)] = notice.alternatives
    assert "Pay with PayPal" in html and "Update my card" not in html


def test_a_completed_sale_the_list_does_not_show_yet_is_recorded_from_the_event(
    deliver, paypal_api
):
    remote = paypal_sub(paypal_api)
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    renewal = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew", list=False)
    sale = renewal["sale"]

    mail.outbox.clear()
    deliver("PAYMENT.SALE.COMPLETED", sale)

    payment = Payment.objects.get(processor_ref=sale["id"])
    assert (payment.status, payment.amount) == ("paid", Decimal("9.00"))
    assert payment.invoice.number == "NORTHWIND-000002"
    assert len(mail.outbox) == 1  # its receipt
    # Later the list shows it: the same payment, not a second one.
    fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/catch-up")
    deliver("BILLING.SUBSCRIPTION.UPDATED", {"id": remote["id"]})
    assert Payment.objects.filter(subscription__processor_id=remote["id"]).count() == 2
    assert len(mail.outbox) == 1


def test_amounts_include_tax_and_shipping_as_paypal_charged_them(deliver, paypal_api):
    remote = paypal_sub(
        paypal_api,
        tax_percentage="10",
        shipping_amount={"currency_code": "USD", "value": "2.00"},
    )
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    assert sale["amount"]["details"] == {"subtotal": "9.00", "tax": "0.90", "shipping": "2.00"}
    deliver("PAYMENT.SALE.COMPLETED", sale)

    subscription = Subscription.objects.get(processor_id=remote["id"])
    assert subscription.amount == Decimal("11.90")
    amounts = Payment.objects.filter(subscription=subscription).values_list("amount", flat=True)
    assert list(amounts) == [Decimal("11.90"), Decimal("11.90")]


def test_shipping_without_tax_is_in_the_subscription_amount(deliver, paypal_api):
    remote = paypal_sub(paypal_api, shipping_amount={"currency_code": "USD", "value": "2.00"})
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    subscription = Subscription.objects.get(processor_id=remote["id"])
    assert subscription.amount == Decimal("11.00")


def test_a_delivery_is_verified_with_its_body_exactly_as_delivered(
    client, hooked, paypal_api, django_capture_on_commit_callbacks
):
    """PayPal signs the bytes it sent: non-ASCII text and `1.10` must reach
    the verify call as they are (re-serialised, the event reads `Zo\\u00eb`
    and `1.1`, and PayPal answers FAILURE)."""
    remote = paypal_sub(paypal_api)
    body = (
        '{"id": "WH-RAW-1", "event_type": "BILLING.SUBSCRIPTION.UPDATED",'
        ' "resource_type": "subscription", "create_time": "2026-11-28T10:00:00Z",'
        f' "resource": {{"id": "{remote["id"]}", "note": "Zoë’s plan", "ratio": 1.10}}}}'
    ).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver_raw(client, body)

    assert response.status_code == 200, response.content
    assert WebhookEvent.objects.get().body == body.decode("utf-8")
    [verify] = [c for c in paypal_calls(paypal_api) if "verify" in c["path"]]
    assert body.decode("utf-8") in verify["raw"]


def test_a_webhook_id_paypal_refuses_is_a_configuration_error_not_an_outage(
    client, hooked, paypal_api, caplog
):
    hooked.paypal_webhook_id = "WH-NORTHWIND-1"  # not PayPal's shape
    hooked.save()
    body = event_body("BILLING.SUBSCRIPTION.UPDATED", {"id": "I-X"})

    response = deliver_raw(client, body, webhook_id="WH-NORTHWIND-1")

    assert response.status_code == 400  # not 503: nothing transient to wait out
    assert response.json() == {"error": "webhook id refused by PayPal; see Test connection"}
    assert not WebhookEvent.objects.exists()
    assert "PayPal refused the saved webhook id" in caplog.text


def test_a_vendor_without_a_paypal_webhook_id_refuses_deliveries(client, paypal_vendor):
    body = b'{"id": "WH-1", "event_type": "X", "resource": {}}'
    headers = signed_headers(webhook_id=WEBHOOK_ID, body=body)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = client.post(
        "/webhooks/paypal/northwind/", data=body, content_type="application/json", **meta
    )
    assert response.status_code == 400
    assert response.json() == {"error": "webhooks not configured"}


def test_an_unreachable_verification_is_a_503_so_paypal_redelivers(client, hooked, paypal_api):
    fake(paypal_api, "/_fake/fail", status=503, count=10)
    body = event_body("BILLING.SUBSCRIPTION.UPDATED", {"id": "I-X"})

    response = deliver_raw(client, body)

    assert response.status_code == 503
    assert response.json() == {"error": "verification unavailable"}
    assert not WebhookEvent.objects.exists()
