"""Click to cancel: /subscriptions/<id>/cancel/, its done page and "Keep my
subscription", against localstripe and the fake PayPal (no mocks)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.cancellation import _claim, subscription_cancel
from billing.models import AuditEvent, Subscription
from billing.processors.adapters import adapter_for
from tests.conftest import sign_in
from tests.factories import SubscriptionFactory
from tests.support.processor_fixtures import paypal_calls, paypal_subscription, stripe_subscription

BASE = "/northwind/updateinfo/subscriptions"


def cancel_url(sub) -> str:
    return f"{BASE}/{sub.pk}/cancel/"


def remote(sub):
    return adapter_for(vendor=sub.vendor, processor=sub.processor).subscription_get(
        subscription_id=sub.processor_id
    )


@pytest.fixture
def stripe_sub(stripe_vendor, alice):
    return stripe_subscription(alice, product="Pro Membership")


def test_the_confirmation_page_says_what_stops_when_and_no_refund(alice_client, stripe_sub):
    response = alice_client.get(cancel_url(stripe_sub))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cancel Pro Membership?" in html
    assert "stops renewing now" in html and "You keep access until" in html
    assert "No refund is issued" in html
    assert "Confirm cancellation" in html
    assert 'href="/northwind/updateinfo/subscriptions/"' in html  # the equally visible way back
    assert response["Cache-Control"] == "no-store, private"
    # Opening the page changes nothing.
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end and stripe_sub.cancel_requested_at is None


def test_it_cancels_at_period_end_at_stripe_first(
    alice_client, stripe_sub, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            cancel_url(stripe_sub),
            {"reason": "too_expensive", "reason_text": "Back in spring"},
            HTTP_USER_AGENT="TestBrowser/1.0",
        )
    assert response.status_code == 302
    assert response["Location"] == f"{cancel_url(stripe_sub)}done/"
    assert remote(stripe_sub).cancel_at_period_end is True
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end and stripe_sub.status == "active"
    assert stripe_sub.current_period_end and stripe_sub.next_payment_at is None
    event = AuditEvent.objects.get(action="subscription.canceled")
    assert event.subscription == stripe_sub and event.customer == alice
    assert event.ip == "127.0.0.1" and event.user_agent == "TestBrowser/1.0"
    assert event.details["mode"] == "period_end"
    assert event.details["reason_code"] == "too_expensive"
    assert event.details["reason_text"] == "Back in spring"
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert "Pro Membership" in email.subject
    assert "It ends on" in email.body and "won't be charged again" in email.body
    done = alice_client.get(response["Location"]).content.decode()
    assert "Pro Membership is cancelled" in done and "Keep my subscription" in done


def test_it_cancels_immediately_when_the_vendor_says_so(
    alice_client, stripe_sub, django_capture_on_commit_callbacks
):
    stripe_sub.vendor.cancel_mode = "immediately"
    stripe_sub.vendor.save()
    page = alice_client.get(cancel_url(stripe_sub)).content.decode()
    assert "ends now" in page
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(cancel_url(stripe_sub), {})
    assert remote(stripe_sub).status == "canceled"
    stripe_sub.refresh_from_db()
    assert stripe_sub.status == "canceled" and stripe_sub.canceled_at is not None
    assert AuditEvent.objects.get(action="subscription.canceled").details["mode"] == "immediately"
    assert "It ended at once" in mail.outbox[0].body


def test_the_reason_is_optional(alice_client, stripe_sub):
    alice_client.post(cancel_url(stripe_sub), {})
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end


def test_keep_my_subscription_takes_the_cancellation_back(alice_client, stripe_sub):
    alice_client.post(cancel_url(stripe_sub), {})
    response = alice_client.post(f"{BASE}/{stripe_sub.pk}/keep/")
    assert response.status_code == 302
    assert remote(stripe_sub).cancel_at_period_end is False
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end and stripe_sub.cancel_requested_at is None
    assert stripe_sub.next_payment_at is not None
    assert AuditEvent.objects.filter(action="subscription.cancel_undone").count() == 1
    html = alice_client.get(f"{BASE}/").content.decode()
    assert "carries on as before" in html
    assert f"/subscriptions/{stripe_sub.pk}/cancel/" in html  # may cancel again


def test_keep_is_a_404_once_nothing_is_pending(alice_client, stripe_sub):
    assert alice_client.post(f"{BASE}/{stripe_sub.pk}/keep/").status_code == 404


def test_a_double_submit_cancels_once(alice_client, stripe_sub, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = alice_client.post(cancel_url(stripe_sub), {"reason": "other"})
        second = alice_client.post(cancel_url(stripe_sub), {"reason": "other"})
    assert first.status_code == second.status_code == 302
    assert second["Location"].endswith("/cancel/done/")
    assert AuditEvent.objects.filter(action="subscription.canceled").count() == 1
    assert len(mail.outbox) == 1


def test_a_concurrent_submit_finds_the_claim_taken(stripe_sub):
    now = timezone.now()
    assert _claim(stripe_sub, now) is True
    assert _claim(stripe_sub, now) is False
    # A claim left by a request that died half way is taken over later.
    assert _claim(stripe_sub, now + timedelta(minutes=5)) is True


def test_a_processor_failure_changes_nothing(alice_client, stripe_sub, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    response = alice_client.post(cancel_url(stripe_sub), {"reason": "other"})
    assert response.status_code == 502
    assert "could not reach the payment processor" in response.content.decode()
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end and stripe_sub.status == "active"
    assert stripe_sub.cancel_requested_at is None
    assert not AuditEvent.objects.filter(action="subscription.canceled").exists()
    assert mail.outbox == []


def test_an_unknown_subscription_at_the_processor_changes_nothing(
    alice_client, stripe_vendor, alice
):
    sub = SubscriptionFactory(customer=alice, processor_id="sub_does_not_exist")
    response = alice_client.post(cancel_url(sub), {})
    assert response.status_code == 502
    assert "no longer knows this subscription" in response.content.decode()
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end and sub.cancel_requested_at is None


def test_without_self_cancellation_there_is_no_button_and_no_page(alice_client, stripe_sub):
    stripe_sub.vendor.self_cancel = False
    stripe_sub.vendor.save()
    assert cancel_url(stripe_sub) not in alice_client.get(f"{BASE}/").content.decode()
    assert alice_client.get(cancel_url(stripe_sub)).status_code == 404
    assert alice_client.post(cancel_url(stripe_sub), {}).status_code == 404
    assert alice_client.get(f"{cancel_url(stripe_sub)}done/").status_code == 404
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end


@pytest.mark.parametrize("path", ["cancel/", "cancel/done/", "keep/"])
def test_another_customers_subscription_is_a_404(client, vendor, bob, acme_alice, alice, path):
    theirs = SubscriptionFactory(customer=alice)
    elsewhere = SubscriptionFactory(customer=acme_alice)
    sign_in(client, bob)
    for sub in (theirs, elsewhere):
        url = f"{BASE}/{sub.pk}/{path}"
        assert client.get(url).status_code in (404, 405)
        assert client.post(url, {}).status_code in (404, 405)
        sub.refresh_from_db()
        assert not sub.cancel_at_period_end and sub.status == "active"


def test_a_cancelled_subscription_shows_the_done_page(alice_client, stripe_sub):
    alice_client.post(cancel_url(stripe_sub), {})
    response = alice_client.get(cancel_url(stripe_sub))
    assert response.status_code == 302 and response["Location"].endswith("/cancel/done/")


# --- PayPal ---------------------------------------------------------------------


@pytest.fixture
def paypal_sub(paypal_vendor, paypal_api, alice):
    return paypal_subscription(alice, paypal_api)


def test_paypal_period_end_suspends_billing_and_keep_reactivates(
    alice_client, paypal_sub, paypal_api
):
    alice_client.post(cancel_url(paypal_sub), {"reason": "not_using"})
    paypal_sub.refresh_from_db()
    assert paypal_sub.cancel_at_period_end and paypal_sub.status == "active"
    calls = [c for c in paypal_calls(paypal_api) if c["method"] == "POST"]
    suspend = [c for c in calls if c["path"].endswith("/suspend")]
    assert len(suspend) == 1 and "use it enough" in suspend[0]["json"]["reason"]
    assert remote(paypal_sub).status == "paused"

    alice_client.post(f"{BASE}/{paypal_sub.pk}/keep/")
    assert remote(paypal_sub).status == "active"
    paypal_sub.refresh_from_db()
    assert not paypal_sub.cancel_at_period_end


def test_paypal_immediate_cancel(alice_client, paypal_sub, paypal_api):
    paypal_sub.vendor.cancel_mode = "immediately"
    paypal_sub.vendor.save()
    alice_client.post(cancel_url(paypal_sub), {})
    assert remote(paypal_sub).status == "canceled"
    paypal_sub.refresh_from_db()
    assert paypal_sub.status == "canceled"
    assert any(c["path"].endswith("/cancel") for c in paypal_calls(paypal_api))


def test_paypal_failure_changes_nothing(alice_client, paypal_sub, paypal_api):
    import requests

    requests.post(f"{paypal_api}/_fake/fail", json={"status": 503, "count": 10}, timeout=5)
    response = alice_client.post(cancel_url(paypal_sub), {})
    assert response.status_code == 502
    paypal_sub.refresh_from_db()
    assert not paypal_sub.cancel_at_period_end and paypal_sub.cancel_requested_at is None


def test_period_end_cancellations_are_ended_when_the_period_passes(
    alice_client, paypal_sub, paypal_api
):
    from billing.tasks import subscriptions_finalize_task

    alice_client.post(cancel_url(paypal_sub), {})
    Subscription.objects.filter(pk=paypal_sub.pk).update(
        current_period_end=timezone.now() - timedelta(minutes=1)
    )
    subscriptions_finalize_task()
    subscriptions_finalize_task()  # twice: nothing more happens
    paypal_sub.refresh_from_db()
    assert paypal_sub.status == "canceled"
    assert remote(paypal_sub).status == "canceled"
    assert AuditEvent.objects.filter(action="subscription.ended").count() == 1


def test_the_subscription_pages_keep_to_a_few_queries(
    alice_client, stripe_sub, django_assert_max_num_queries
):
    for url in (f"{BASE}/", cancel_url(stripe_sub), f"{BASE}/{stripe_sub.pk}/card/"):
        with django_assert_max_num_queries(8):
            assert alice_client.get(url).status_code == 200


def test_keep_fails_plainly_and_changes_nothing_when_the_processor_is_down(
    alice_client, stripe_sub, settings
):
    alice_client.post(cancel_url(stripe_sub), {})
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    response = alice_client.post(f"{BASE}/{stripe_sub.pk}/keep/", follow=True)
    assert "could not reach the payment processor" in response.content.decode()
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end and stripe_sub.cancel_requested_at is not None
    assert not AuditEvent.objects.filter(action="subscription.cancel_undone").exists()


def test_cancel_saves_only_what_it_decides(stripe_sub):
    stale = Subscription.objects.select_related("vendor", "customer").get(pk=stripe_sub.pk)
    # Meanwhile a webhook records a new card on the row.
    Subscription.objects.filter(pk=stripe_sub.pk).update(card_last4="1881", card_brand="visa")
    subscription_cancel(subscription=stale, request=None)
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end
    assert stripe_sub.card_last4 == "1881"


def test_a_late_release_leaves_a_claim_another_request_took_over(stripe_sub):
    from billing.cancellation import _release

    first = timezone.now()
    assert _claim(stripe_sub, first)
    # The first request hung past the claim's timeout; a second one took over.
    second = first + timedelta(minutes=5)
    assert _claim(stripe_sub, second)
    _release(stripe_sub, first)  # the first one's processor call failed at last
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_requested_at == second
