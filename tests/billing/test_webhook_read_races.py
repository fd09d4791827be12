"""A webhook's read of a subscription and the customer's own click, crossed
(issue 26, found by `make soak`): the read is answered before the customer
cancels or keeps, and recorded after the hub wrote the click's outcome. The
read must not be recorded over that outcome (a Keep would look like the
vendor's cancellation, which cannot be kept: the Keep button 404s); it is
read again and the row ends in the processor's state.

Against localstripe and the fake PayPal. The click happens right after the
webhook's read was answered: the adapter's read is the real one, followed by
the customer's POST to the hub, the order two workers can take in production.
"""

import json
import uuid

import pytest
from django.core import mail

from billing.models import Payment, Subscription, WebhookEvent
from billing.processors.adapters import adapter_for
from billing.processors.adapters.paypal import PayPalAdapter
from billing.processors.adapters.stripe import StripeAdapter
from billing.processors.object_reads import READ_ATTEMPTS
from tests.support.fake_paypal import signed_headers
from tests.support.processor_fixtures import paypal_subscription, stripe_subscription
from tests.support.webhooks import SECRET, post_stripe, stripe_event

BASE = "/northwind/updateinfo/subscriptions"
PAYPAL_WEBHOOK_ID = "7NW12345AB678901C"


def cancel(client, sub) -> int:
    return client.post(f"{BASE}/{sub.pk}/cancel/", {}).status_code


def keep(client, sub) -> int:
    return client.post(f"{BASE}/{sub.pk}/keep/").status_code


def remote(sub):
    return adapter_for(vendor=sub.vendor, processor=sub.processor).subscription_get(
        subscription_id=sub.processor_id
    )


def matches_processor(sub) -> bool:
    theirs = remote(sub)
    return (sub.status, sub.current_period_end, sub.cancel_at_period_end) == (
        theirs.status,
        theirs.current_period_end,
        theirs.cancel_at_period_end,
    )


@pytest.fixture
def click_after_first_read(monkeypatch):
    """Make the customer's click happen right after the first read of a
    subscription through `method` of the adapter `cls` was answered. Returns
    what every read outside the click answered, and the click's status."""

    def arm(cls, method: str, click) -> dict:
        real = getattr(cls, method)
        seen: dict = {"reads": [], "clicks": []}

        def read_then_click(self, **kwargs):
            answer = real(self, **kwargs)
            if seen["clicking"]:
                return answer
            seen["reads"].append(answer[0] if isinstance(answer, tuple) else answer)
            if not seen["clicks"]:
                seen["clicking"] = True
                seen["clicks"].append(click())
                seen["clicking"] = False
            return answer

        seen["clicking"] = False
        monkeypatch.setattr(cls, method, read_then_click)
        return seen

    return arm


# --- Stripe -------------------------------------------------------------------------------


@pytest.fixture
def stripe_sub(stripe_vendor, alice):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    return stripe_subscription(alice, product="Pro Membership")


def stripe_subscription_updated(client, sub, capture) -> None:
    """customer.subscription.updated delivered, processed when the caller says."""
    obj = {
        "id": sub.processor_id,
        "object": "subscription",
        "customer": sub.customer.stripe_customer_id,
    }
    with capture() as queued:
        assert post_stripe(client, stripe_event("customer.subscription.updated", obj)).status_code
    with capture(execute=True):
        for process in queued:
            process()


def test_a_stripe_read_taken_before_a_keep_is_not_recorded_over_it(
    client, alice_client, stripe_sub, click_after_first_read, django_capture_on_commit_callbacks
):
    assert cancel(alice_client, stripe_sub) == 302
    seen = click_after_first_read(
        StripeAdapter, "subscription_get", lambda: keep(alice_client, stripe_sub)
    )

    stripe_subscription_updated(client, stripe_sub, django_capture_on_commit_callbacks)
    reads = [r.cancel_at_period_end for r in seen["reads"]]  # the webhook's

    assert seen["clicks"] == [302]
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end
    assert stripe_sub.cancel_requested_at is None
    assert matches_processor(stripe_sub)
    # The first read saw the cancellation; it was thrown away and made again.
    assert reads == [True, False]
    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.PROCESSED
    # Cancel and Keep still work: the row is the customer's, not the vendor's.
    assert cancel(alice_client, stripe_sub) == 302
    assert keep(alice_client, stripe_sub) == 302


def test_a_stripe_read_taken_before_a_cancel_is_not_recorded_over_it(
    client, alice_client, stripe_sub, click_after_first_read, django_capture_on_commit_callbacks
):
    seen = click_after_first_read(
        StripeAdapter, "subscription_get", lambda: cancel(alice_client, stripe_sub)
    )

    stripe_subscription_updated(client, stripe_sub, django_capture_on_commit_callbacks)
    reads = [r.cancel_at_period_end for r in seen["reads"]]  # the webhook's

    assert seen["clicks"] == [302]
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end
    assert stripe_sub.cancel_requested_at is not None  # still the customer's own
    assert matches_processor(stripe_sub)
    assert reads == [False, True]
    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.PROCESSED
    assert keep(alice_client, stripe_sub) == 302
    assert remote(stripe_sub).cancel_at_period_end is False


def test_an_invoice_events_subscription_read_taken_before_a_keep_is_read_again(
    client, alice_client, stripe_sub, click_after_first_read, django_capture_on_commit_callbacks
):
    """invoice.paid reads the subscription with the invoice: the thrown away
    attempt's payment and receipt are rolled back and forgotten, so the
    payment is recorded once and its receipt sent once."""
    assert cancel(alice_client, stripe_sub) == 302
    invoice_id = remote(stripe_sub).latest_invoice_id
    obj = {
        "id": invoice_id,
        "object": "invoice",
        "customer": stripe_sub.customer.stripe_customer_id,
    }
    seen = click_after_first_read(
        StripeAdapter, "subscription_get", lambda: keep(alice_client, stripe_sub)
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as queued:
        assert post_stripe(client, stripe_event("invoice.paid", obj)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        for process in queued:
            process()
    reads = [r.cancel_at_period_end for r in seen["reads"]]

    assert seen["clicks"] == [302]
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end and stripe_sub.cancel_requested_at is None
    assert matches_processor(stripe_sub)
    assert reads == [True, False]
    [payment] = Payment.objects.filter(subscription=stripe_sub)
    assert payment.status == "paid"
    receipts = [m for m in mail.outbox if m.subject.startswith("Your receipt")]
    assert [m.to for m in receipts] == [[stripe_sub.customer.email]]
    assert keep(alice_client, stripe_sub) == 404  # nothing left to keep
    assert cancel(alice_client, stripe_sub) == 302


def test_a_read_that_keeps_being_overtaken_queues_the_event_again(
    client, alice_client, stripe_sub, monkeypatch, django_capture_on_commit_callbacks
):
    """Every read is followed by a click (a customer clicking Cancel and Keep
    in turn faster than Stripe answers): nothing stale is recorded, and the
    event waits for the task's next run, as for a busy customer."""
    real = StripeAdapter.subscription_get
    clicks: list[int] = []

    def read_then_click(self, **kwargs):
        answer = real(self, **kwargs)
        stripe_sub.refresh_from_db()
        if stripe_sub.cancel_at_period_end:
            clicks.append(keep(alice_client, stripe_sub))
        else:
            clicks.append(cancel(alice_client, stripe_sub))
        return answer

    monkeypatch.setattr(StripeAdapter, "subscription_get", read_then_click)

    stripe_subscription_updated(client, stripe_sub, django_capture_on_commit_callbacks)

    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end and stripe_sub.cancel_requested_at is not None
    assert clicks == [302] * READ_ATTEMPTS  # every read overtaken
    event = WebhookEvent.objects.get()
    assert event.outcome == WebhookEvent.Outcome.RETRYING
    assert "changed during each read" in event.error


# --- PayPal -------------------------------------------------------------------------------


@pytest.fixture
def paypal_sub(paypal_vendor, paypal_api, alice):
    paypal_vendor.paypal_webhook_id = PAYPAL_WEBHOOK_ID
    paypal_vendor.save()
    return paypal_subscription(alice, paypal_api)


def paypal_subscription_updated(client, sub, capture) -> None:
    body = json.dumps(
        {
            "id": f"WH-{uuid.uuid4().hex[:16]}",
            "event_version": "1.0",
            "create_time": "2026-11-28T10:00:00Z",
            "resource_type": "subscription",
            "event_type": "BILLING.SUBSCRIPTION.UPDATED",
            "resource": {"id": sub.processor_id},
        }
    ).encode()
    headers = signed_headers(webhook_id=PAYPAL_WEBHOOK_ID, body=body)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    with capture(execute=True):
        response = client.post(
            "/webhooks/paypal/northwind/", data=body, content_type="application/json", **meta
        )
    assert response.status_code == 200


def test_a_paypal_read_taken_before_a_keep_is_not_recorded_over_it(
    client, alice_client, paypal_sub, click_after_first_read, django_capture_on_commit_callbacks
):
    assert cancel(alice_client, paypal_sub) == 302
    seen = click_after_first_read(
        PayPalAdapter, "subscription_and_payer_get", lambda: keep(alice_client, paypal_sub)
    )

    paypal_subscription_updated(client, paypal_sub, django_capture_on_commit_callbacks)
    reads = [r.cancel_at_period_end for r in seen["reads"]]  # the webhook's

    assert seen["clicks"] == [302]
    paypal_sub.refresh_from_db()
    assert not paypal_sub.cancel_at_period_end and paypal_sub.cancel_requested_at is None
    assert matches_processor(paypal_sub)
    assert reads == [True, False]
    assert WebhookEvent.objects.get().outcome == WebhookEvent.Outcome.PROCESSED
    assert cancel(alice_client, paypal_sub) == 302
    assert keep(alice_client, paypal_sub) == 302


def test_a_paypal_read_taken_before_a_cancel_is_not_recorded_over_it(
    client, alice_client, paypal_sub, click_after_first_read, django_capture_on_commit_callbacks
):
    seen = click_after_first_read(
        PayPalAdapter, "subscription_and_payer_get", lambda: cancel(alice_client, paypal_sub)
    )

    paypal_subscription_updated(client, paypal_sub, django_capture_on_commit_callbacks)
    reads = [r.cancel_at_period_end for r in seen["reads"]]  # the webhook's

    assert seen["clicks"] == [302]
    paypal_sub.refresh_from_db()
    assert paypal_sub.cancel_at_period_end and paypal_sub.cancel_requested_at is not None
    assert matches_processor(paypal_sub)
    assert reads == [False, True]
    assert keep(alice_client, paypal_sub) == 302
    assert Subscription.objects.filter(processor_id=paypal_sub.processor_id).count() == 1
