""" "Keep my subscription" (issue 21, points 5 and 6): only a cancellation the
customer made in the hub, only where the vendor lets customers cancel;
claimed once like Cancel, saving only what it changes, and confirmed by
email. Against localstripe (no mocks)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.cancellation import _keep_claim, subscription_cancel_undo
from billing.models import AuditEvent, Subscription
from billing.processors.adapters import adapter_for
from billing.processors.stripe_sync import stripe_subscription_record
from tests.support.processor_fixtures import stripe_subscription

BASE = "/northwind/updateinfo/subscriptions"


@pytest.fixture
def stripe_sub(stripe_vendor, alice):
    return stripe_subscription(alice, product="Pro Membership")


def adapter(sub):
    return adapter_for(vendor=sub.vendor, processor=sub.processor)


def remote(sub):
    return adapter(sub).subscription_get(subscription_id=sub.processor_id)


def keep_url(sub) -> str:
    return f"{BASE}/{sub.pk}/keep/"


def cancel_in_the_hub(client, sub) -> None:
    assert client.post(f"{BASE}/{sub.pk}/cancel/", {}).status_code == 302
    sub.refresh_from_db()
    assert sub.cancel_at_period_end and sub.cancel_requested_at is not None


def vendor_sets_at_stripe(sub, *, cancel: bool) -> None:
    """The vendor changes the subscription in Stripe's dashboard; the webhook
    that follows brings our row to Stripe's state."""
    if cancel:
        adapter(sub).subscription_cancel(
            subscription_id=sub.processor_id, at_period_end=True, idempotency_key=f"v-{cancel}"
        )
    else:
        adapter(sub).subscription_cancel_undo(
            subscription_id=sub.processor_id, idempotency_key="v-undo"
        )
    stripe_subscription_record(vendor=sub.vendor, adapter=adapter(sub), remote=remote(sub))
    sub.refresh_from_db()


def test_a_cancellation_the_vendor_scheduled_cannot_be_kept(alice_client, stripe_sub):
    vendor_sets_at_stripe(stripe_sub, cancel=True)
    assert stripe_sub.cancel_at_period_end
    page = alice_client.get(f"{BASE}/").content.decode()
    assert "Keep my subscription" not in page
    assert alice_client.post(keep_url(stripe_sub)).status_code == 404
    assert remote(stripe_sub).cancel_at_period_end is True
    assert not AuditEvent.objects.filter(action="subscription.cancel_undone").exists()


def test_nor_at_a_vendor_that_does_not_let_customers_cancel(alice_client, stripe_sub):
    stripe_sub.vendor.self_cancel = False
    stripe_sub.vendor.save()
    vendor_sets_at_stripe(stripe_sub, cancel=True)
    assert "Keep my subscription" not in alice_client.get(f"{BASE}/").content.decode()
    assert alice_client.post(keep_url(stripe_sub)).status_code == 404
    assert remote(stripe_sub).cancel_at_period_end is True


def test_nor_a_hub_cancellation_once_the_vendor_stopped_customers_cancelling(
    alice_client, stripe_sub
):
    """Issue 21.5's "only where the vendor allows it" on its own: the
    customer did cancel in the hub, then the vendor turned self-cancel off."""
    cancel_in_the_hub(alice_client, stripe_sub)
    stripe_sub.vendor.self_cancel = False
    stripe_sub.vendor.save()
    assert "Keep my subscription" not in alice_client.get(f"{BASE}/").content.decode()
    assert alice_client.post(keep_url(stripe_sub)).status_code == 404
    assert remote(stripe_sub).cancel_at_period_end is True
    assert not AuditEvent.objects.filter(action="subscription.cancel_undone").exists()


def test_a_hub_cancellation_the_vendor_took_back_and_scheduled_again_is_the_vendors(
    alice_client, stripe_sub
):
    cancel_in_the_hub(alice_client, stripe_sub)
    vendor_sets_at_stripe(stripe_sub, cancel=False)
    vendor_sets_at_stripe(stripe_sub, cancel=True)
    assert stripe_sub.cancel_at_period_end and stripe_sub.cancel_requested_at is None
    assert alice_client.post(keep_url(stripe_sub)).status_code == 404
    assert remote(stripe_sub).cancel_at_period_end is True


def test_the_audit_record_must_say_the_customer_cancelled_in_the_hub(alice_client, stripe_sub):
    cancel_in_the_hub(alice_client, stripe_sub)
    # The row says "asked in the hub", the trail does not (a row restored
    # from a backup, a hand edit): the trail wins.
    AuditEvent.objects.filter(action="subscription.canceled").update(actor="staff")
    response = alice_client.post(keep_url(stripe_sub), follow=True)
    assert "This cancellation was not made here" in response.content.decode()
    assert remote(stripe_sub).cancel_at_period_end is True
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end and stripe_sub.keep_requested_at is None


def test_keep_after_a_hub_cancellation_works_and_emails_the_customer(
    alice_client, stripe_sub, django_capture_on_commit_callbacks
):
    cancel_in_the_hub(alice_client, stripe_sub)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(keep_url(stripe_sub), follow=True)
    assert "You kept Pro Membership" in response.content.decode()
    assert remote(stripe_sub).cancel_at_period_end is False
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end and stripe_sub.keep_requested_at is None
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert email.subject == "Your Pro Membership subscription carries on"
    assert "You kept Pro Membership on" in email.body
    assert "The next payment of $29.00 is on" in email.body
    html = email.alternatives[0][0]
    assert "You kept Pro Membership on" in html and "$29.00" in html


def test_a_keep_already_under_way_is_not_done_twice(
    alice_client, stripe_sub, django_capture_on_commit_callbacks
):
    cancel_in_the_hub(alice_client, stripe_sub)
    mail.outbox.clear()
    # Another request (a double click) holds the claim and is at the processor.
    assert _keep_claim(stripe_sub, timezone.now()) is True
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(keep_url(stripe_sub))
    assert response.status_code == 302
    assert remote(stripe_sub).cancel_at_period_end is True  # not called by this one
    assert not AuditEvent.objects.filter(action="subscription.cancel_undone").exists()
    assert mail.outbox == []


def test_the_keep_claim_is_taken_once_and_over_when_stale(alice_client, stripe_sub):
    cancel_in_the_hub(alice_client, stripe_sub)
    now = timezone.now()
    assert _keep_claim(stripe_sub, now) is True
    assert _keep_claim(stripe_sub, now) is False
    assert _keep_claim(stripe_sub, now + timedelta(minutes=5)) is True


def test_keep_saves_only_what_it_changes(alice_client, stripe_sub):
    cancel_in_the_hub(alice_client, stripe_sub)
    stale = Subscription.objects.select_related("vendor", "customer").get(pk=stripe_sub.pk)
    # Meanwhile a webhook records a new card on the row.
    Subscription.objects.filter(pk=stripe_sub.pk).update(card_last4="1881", card_brand="visa")
    subscription_cancel_undo(subscription=stale, request=None)
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end
    assert stripe_sub.card_last4 == "1881"


def test_a_failed_keep_releases_its_claim(alice_client, stripe_sub, settings):
    cancel_in_the_hub(alice_client, stripe_sub)
    api_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    alice_client.post(keep_url(stripe_sub))
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end and stripe_sub.keep_requested_at is None
    settings.STRIPE_API_BASE = api_base
    alice_client.post(keep_url(stripe_sub))
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end


def test_two_keeps_at_the_same_moment_undo_once(postgres, transactional_db, stripe_vendor, alice):
    """Real concurrency on PostgreSQL: two requests, each with its own copy
    of the row, started together; one processor call and one record."""
    import threading

    from django.db import connection

    from billing.cancellation import KeepInProgress, subscription_cancel

    sub = stripe_subscription(alice, product="Pro Membership")
    subscription_cancel(subscription=sub, request=None)
    copies = [
        Subscription.objects.select_related("vendor", "customer").get(pk=sub.pk) for _ in range(2)
    ]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def keep(copy):
        try:
            start.wait()
            subscription_cancel_undo(subscription=copy, request=None)
            outcomes.append("kept")
        except KeepInProgress:
            outcomes.append("in progress")
        finally:
            connection.close()

    threads = [threading.Thread(target=keep, args=(copy,)) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["in progress", "kept"]
    assert AuditEvent.objects.filter(action="subscription.cancel_undone").count() == 1
    sub.refresh_from_db()
    assert not sub.cancel_at_period_end and sub.keep_requested_at is None
