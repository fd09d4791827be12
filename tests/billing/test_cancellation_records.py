"""Cancellation, kept and ended: the exact records, dates, processor calls and
idempotency keys (issue 27). A clock the test sets, so "inside the paid
period" and "after it" are exact instants; PayPal's fake and localstripe
record the keys they receive."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from billing.cancellation import (
    CancelInProgress,
    subscription_can_cancel,
    subscription_can_undo,
    subscription_cancel,
    subscription_cancel_plan,
    subscription_period_end_finalize,
    subscriptions_due_for_finalizing,
)
from billing.models import AuditEvent, Subscription
from billing.processors.adapters.base import ProcessorError
from billing.processors.adapters.paypal import PERIOD_END_NOTE
from billing.tasks import subscriptions_finalize_task
from tests.factories import SubscriptionFactory
from tests.support.clock import EPOCH
from tests.support.localstripe_requests import stripe_writes
from tests.support.processor_fixtures import paypal_calls, paypal_subscription, stripe_subscription
from vendors.formatting import local_date, local_datetime

BASE = "/northwind/updateinfo/subscriptions"
PERIOD_END = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def posts(base_url, suffix):
    return [
        c for c in paypal_calls(base_url) if c["method"] == "POST" and c["path"].endswith(suffix)
    ]


def subscription_actions(base_url):
    """The cancel, suspend and activate calls PayPal received."""
    return [
        c
        for c in paypal_calls(base_url)
        if c["method"] == "POST" and "/v1/billing/subscriptions/" in c["path"]
    ]


@pytest.fixture
def paypal_sub(frozen_clock, paypal_vendor, paypal_api, alice):
    """Alice's PayPal subscription, paid until PERIOD_END; the clock at EPOCH."""
    return paypal_subscription(
        alice, paypal_api, billing_info={"next_billing_time": "2026-04-01T12:00:00Z"}
    )


@pytest.fixture
def client_at_epoch(frozen_clock, alice_client):
    return alice_client


def cancel(client, sub, **data):
    return client.post(f"{BASE}/{sub.pk}/cancel/", data, HTTP_USER_AGENT="Agent/2")


def test_a_period_end_cancellation_is_recorded_exactly(
    client_at_epoch, paypal_sub, paypal_api, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cancel(client_at_epoch, paypal_sub, reason="switching", reason_text="Found another")
    paypal_sub.refresh_from_db()
    assert paypal_sub.cancel_at_period_end and paypal_sub.status == "active"
    assert paypal_sub.current_period_end == PERIOD_END
    assert paypal_sub.cancel_requested_at == EPOCH
    assert paypal_sub.next_payment_at is None
    assert paypal_sub.cancel_reason == "switching — Found another"
    [event] = AuditEvent.objects.filter(action="subscription.canceled")
    assert (event.actor, event.customer, event.subscription) == ("customer", alice, paypal_sub)
    assert (event.ip, event.user_agent, event.created_at) == ("127.0.0.1", "Agent/2", EPOCH)
    assert event.details == {
        "mode": "period_end",
        "effective_at": PERIOD_END.isoformat(),
        "requested_at": EPOCH.isoformat(),
        "reason_code": "switching",
        "reason_text": "Found another",
        "processor": "paypal",
        "processor_id": paypal_sub.processor_id,
    }
    # PayPal hears the customer's reason, in words.
    [suspend] = posts(paypal_api, "/suspend")
    assert "switching to something else" in suspend["json"]["reason"]
    assert "Found another" in suspend["json"]["reason"]
    # The email gives the moment of the cancellation and the day it ends.
    [email] = mail.outbox
    vendor = paypal_sub.vendor
    assert f"on {local_datetime(EPOCH, vendor, 'long')}." in email.body
    assert f"It ends on {local_date(PERIOD_END, vendor, 'long')};" in email.body
    assert "April 1, 2026" in email.body and "March 2, 2026" in email.body


def test_an_immediate_cancellation_is_recorded_exactly(
    client_at_epoch, paypal_sub, paypal_api, django_capture_on_commit_callbacks
):
    paypal_sub.vendor.cancel_mode = "immediately"
    paypal_sub.vendor.save()
    with django_capture_on_commit_callbacks(execute=True):
        cancel(client_at_epoch, paypal_sub)
    paypal_sub.refresh_from_db()
    remote_ended = _remote(paypal_sub).canceled_at
    assert remote_ended is not None
    assert paypal_sub.status == "canceled" and not paypal_sub.cancel_at_period_end
    assert paypal_sub.canceled_at == remote_ended  # PayPal's time, not ours
    assert paypal_sub.next_payment_at is None
    [event] = AuditEvent.objects.filter(action="subscription.canceled")
    assert event.details["mode"] == "immediately"
    assert event.details["effective_at"] == remote_ended.isoformat()
    assert event.details["reason_code"] == "" and event.details["reason_text"] == ""
    [email] = mail.outbox
    assert f"It ended at once, on {local_date(remote_ended, paypal_sub.vendor, 'long')}." in (
        email.body
    )


def _remote(sub):
    from billing.processors.adapters import adapter_for

    return adapter_for(vendor=sub.vendor, processor=sub.processor).subscription_get(
        subscription_id=sub.processor_id
    )


def test_keep_is_recorded_and_billing_resumes_on_the_paid_date(
    client_at_epoch, paypal_sub, paypal_api, alice, frozen_clock
):
    cancel(client_at_epoch, paypal_sub)
    frozen_clock.advance(minutes=5)  # within the session's idle timeout
    client_at_epoch.post(f"{BASE}/{paypal_sub.pk}/keep/", HTTP_USER_AGENT="Agent/3")
    paypal_sub.refresh_from_db()
    assert not paypal_sub.cancel_at_period_end
    assert paypal_sub.cancel_requested_at is None and paypal_sub.cancel_reason == ""
    # Billing resumes when PayPal says (its own clock may have moved the date).
    assert paypal_sub.next_payment_at == _remote(paypal_sub).next_payment_at
    assert paypal_sub.next_payment_at is not None
    [event] = AuditEvent.objects.filter(action="subscription.cancel_undone")
    assert (event.actor, event.customer, event.subscription) == ("customer", alice, paypal_sub)
    assert event.created_at == EPOCH + timedelta(minutes=5)
    assert (event.ip, event.user_agent) == ("127.0.0.1", "Agent/3")
    assert event.details == {"processor": "paypal"}


def test_finalizing_waits_for_the_end_of_the_paid_period(
    client_at_epoch, paypal_sub, paypal_api, alice, frozen_clock
):
    cancel(client_at_epoch, paypal_sub)
    frozen_clock.set(PERIOD_END - timedelta(seconds=1))
    subscriptions_finalize_task()
    paypal_sub.refresh_from_db()
    assert paypal_sub.status == "active" and paypal_sub.cancel_at_period_end
    assert posts(paypal_api, "/cancel") == []
    assert not AuditEvent.objects.filter(action="subscription.ended").exists()

    frozen_clock.set(PERIOD_END)
    subscriptions_finalize_task()
    subscriptions_finalize_task()  # the second run finds nothing to do
    paypal_sub.refresh_from_db()
    assert paypal_sub.status == "canceled" and paypal_sub.next_payment_at is None
    assert paypal_sub.canceled_at == _remote(paypal_sub).canceled_at
    assert len(posts(paypal_api, "/cancel")) == 1
    [event] = AuditEvent.objects.filter(action="subscription.ended")
    assert (event.actor, event.customer, event.subscription) == ("system", alice, paypal_sub)
    assert event.created_at == PERIOD_END and event.details == {"processor": "paypal"}
    assert (event.ip, event.user_agent) == (None, "")


def test_finalizing_leaves_subscriptions_nobody_cancelled(paypal_sub, paypal_api, frozen_clock):
    # The paid period is over but the customer never cancelled: it renews.
    frozen_clock.set(PERIOD_END + timedelta(days=1))
    paypal_sub.refresh_from_db()
    subscription_period_end_finalize(subscription=paypal_sub)
    subscriptions_finalize_task()
    assert posts(paypal_api, "/cancel") == []
    paypal_sub.refresh_from_db()
    assert paypal_sub.status == "active" and paypal_sub.canceled_at is None
    assert not AuditEvent.objects.exists()


def test_finalizing_leaves_subscriptions_already_ended(paypal_sub, paypal_api, frozen_clock):
    Subscription.objects.filter(pk=paypal_sub.pk).update(
        status="canceled", cancel_at_period_end=True, canceled_at=EPOCH
    )
    paypal_sub.refresh_from_db()
    frozen_clock.set(PERIOD_END + timedelta(days=1))
    subscription_period_end_finalize(subscription=paypal_sub)
    subscriptions_finalize_task()
    assert posts(paypal_api, "/cancel") == []
    paypal_sub.refresh_from_db()
    assert paypal_sub.canceled_at == EPOCH
    assert not AuditEvent.objects.exists()


def test_due_for_finalizing_is_exactly_the_cancelled_for_a_passed_period_end(alice, frozen_clock):
    def sub(**fields):
        return SubscriptionFactory(customer=alice, **fields)

    due = sub(cancel_at_period_end=True, current_period_end=EPOCH)
    sub(cancel_at_period_end=True, current_period_end=EPOCH + timedelta(seconds=1))
    sub(cancel_at_period_end=False, current_period_end=EPOCH - timedelta(days=1))
    sub(cancel_at_period_end=True, current_period_end=EPOCH - timedelta(days=1), status="canceled")
    assert list(subscriptions_due_for_finalizing()) == [due]


def test_the_idempotency_keys_paypal_receives(
    client_at_epoch, paypal_sub, paypal_api, frozen_clock
):
    cancel(client_at_epoch, paypal_sub)
    frozen_clock.advance(minutes=1)
    client_at_epoch.post(f"{BASE}/{paypal_sub.pk}/keep/")
    frozen_clock.advance(minutes=1)
    cancel(client_at_epoch, paypal_sub)
    paypal_sub.refresh_from_db()
    frozen_clock.set(paypal_sub.current_period_end)
    subscriptions_finalize_task()
    keys = [
        (c["path"].rsplit("/", 1)[1], c["request_id"])
        for c in paypal_calls(paypal_api)
        if c["method"] == "POST" and "/v1/billing/subscriptions/" in c["path"]
    ]
    assert [action for action, _ in keys] == ["suspend", "activate", "suspend", "cancel"]
    assert all(key for _, key in keys)
    # Each request its own key (a repeated key would make PayPal replay the
    # first answer: the second cancellation would never happen).
    assert len({key for _, key in keys}) == 4
    assert all(str(paypal_sub.pk) in key for _, key in keys)


def test_the_idempotency_keys_stripe_receives(stripe_vendor, alice, frozen_clock, localstripe):
    from billing.cancellation import subscription_cancel_undo

    subs = [stripe_subscription(alice) for _ in range(2)]
    stripe_writes(localstripe, clear=True)
    for sub in subs:
        subscription_cancel(subscription=sub, request=None)
    frozen_clock.advance(seconds=1)
    subscription_cancel_undo(subscription=subs[0], request=None)
    frozen_clock.advance(seconds=1)
    subscription_cancel(subscription=subs[0], request=None)
    writes = [w for w in stripe_writes(localstripe) if w["path"].startswith("/v1/subscriptions/")]
    assert [w["path"] for w in writes] == [f"/v1/subscriptions/{s.processor_id}" for s in subs] + [
        f"/v1/subscriptions/{subs[0].processor_id}"
    ] * 2
    keys = [w["idempotency_key"] for w in writes]
    assert all(keys) and len(set(keys)) == 4


def test_a_failed_cancel_releases_its_own_claim_only(stripe_vendor, alice, frozen_clock, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    busy, failing = SubscriptionFactory(customer=alice), SubscriptionFactory(customer=alice)
    # Another request claimed `busy` at this very instant and is at the processor.
    Subscription.objects.filter(pk=busy.pk).update(cancel_requested_at=EPOCH)
    with pytest.raises(ProcessorError):
        subscription_cancel(subscription=failing, request=None)
    failing.refresh_from_db()
    busy.refresh_from_db()
    assert failing.cancel_requested_at is None
    assert busy.cancel_requested_at == EPOCH
    with pytest.raises(CancelInProgress):
        subscription_cancel(subscription=busy, request=None)


def test_a_cancel_that_fails_after_its_claim_was_taken_over_keeps_the_new_claim(
    stripe_vendor, alice, frozen_clock, settings, monkeypatch
):
    """The processor took three minutes to fail: meanwhile another request
    found the claim stale (over two minutes) and took it over. The first
    request's failure gives back its own claim only, not the one now at the
    processor, so a third submit is still told a cancellation is under way."""
    from billing.processors.adapters.stripe import StripeAdapter

    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    sub = SubscriptionFactory(customer=alice)
    real_cancel = StripeAdapter.subscription_cancel
    taken_over_at = EPOCH + timedelta(minutes=3)

    def slow_cancel(self, **kwargs):
        frozen_clock.set(taken_over_at)
        Subscription.objects.filter(pk=sub.pk).update(cancel_requested_at=taken_over_at)
        return real_cancel(self, **kwargs)

    monkeypatch.setattr(StripeAdapter, "subscription_cancel", slow_cancel)
    with pytest.raises(ProcessorError):
        subscription_cancel(subscription=sub, request=None)
    sub.refresh_from_db()
    assert sub.cancel_requested_at == taken_over_at
    monkeypatch.setattr(StripeAdapter, "subscription_cancel", real_cancel)
    with pytest.raises(CancelInProgress):
        subscription_cancel(subscription=sub, request=None)


def test_finalizing_a_stale_copy_keeps_what_a_webhook_wrote_meanwhile(
    client_at_epoch, paypal_sub, paypal_api, frozen_clock
):
    """The task reads the subscriptions due, then ends each at PayPal: a
    webhook may record a new card in between. Ending it writes only what
    ending decides."""
    cancel(client_at_epoch, paypal_sub)
    frozen_clock.set(PERIOD_END)
    stale = Subscription.objects.get(pk=paypal_sub.pk)
    Subscription.objects.filter(pk=paypal_sub.pk).update(
        card_brand="mastercard", card_last4="4444", cancel_reason="edited meanwhile"
    )
    subscription_period_end_finalize(subscription=stale)
    paypal_sub.refresh_from_db()
    assert paypal_sub.status == "canceled"
    assert (paypal_sub.card_brand, paypal_sub.card_last4) == ("mastercard", "4444")
    assert paypal_sub.cancel_reason == "edited meanwhile"


@pytest.mark.parametrize(
    ("mode", "period_end", "trial_end", "expected"),
    [
        ("period_end", EPOCH + timedelta(days=5), None, (True, EPOCH + timedelta(days=5))),
        ("period_end", None, EPOCH + timedelta(days=2), (True, EPOCH + timedelta(days=2))),
        ("period_end", EPOCH, None, (False, None)),  # the period ends now: nothing left
        ("period_end", EPOCH - timedelta(days=1), None, (False, None)),
        ("period_end", None, None, (False, None)),
        ("immediately", EPOCH + timedelta(days=5), None, (False, None)),
    ],
)
def test_the_plan_of_a_cancellation(
    vendor, alice, frozen_clock, mode, period_end, trial_end, expected
):
    vendor.cancel_mode = mode
    vendor.save()
    sub = SubscriptionFactory(customer=alice, current_period_end=period_end, trial_end=trial_end)
    plan = subscription_cancel_plan(subscription=sub)
    assert (plan.at_period_end, plan.effective_at) == expected


def test_who_may_cancel_and_undo(vendor, alice, frozen_clock):
    active = SubscriptionFactory(customer=alice, current_period_end=EPOCH + timedelta(days=3))
    assert subscription_can_cancel(subscription=active)
    assert not subscription_can_undo(subscription=active)
    # Cancelled by the customer in the hub (cancel_requested_at), for the
    # period's end: Keep is offered. The same cancellation scheduled by the
    # vendor at the processor is not the customer's to undo (issue 21 point 5).
    pending = SubscriptionFactory(
        customer=alice,
        cancel_at_period_end=True,
        cancel_requested_at=EPOCH - timedelta(days=1),
        current_period_end=EPOCH + timedelta(days=3),
    )
    assert not subscription_can_cancel(subscription=pending)
    assert subscription_can_undo(subscription=pending)
    by_vendor = SubscriptionFactory(
        customer=alice, cancel_at_period_end=True, current_period_end=EPOCH + timedelta(days=3)
    )
    assert not subscription_can_undo(subscription=by_vendor)
    ended = SubscriptionFactory(customer=alice, status="canceled", cancel_at_period_end=True)
    assert not subscription_can_cancel(subscription=ended)
    assert not subscription_can_undo(subscription=ended)
    asked = EPOCH - timedelta(days=1)
    over = SubscriptionFactory(
        customer=alice,
        cancel_at_period_end=True,
        cancel_requested_at=asked,
        current_period_end=EPOCH,
    )
    assert not subscription_can_undo(subscription=over)
    no_end = SubscriptionFactory(
        customer=alice,
        cancel_at_period_end=True,
        cancel_requested_at=asked,
        current_period_end=None,
    )
    assert not subscription_can_undo(subscription=no_end)
    vendor.self_cancel = False
    vendor.save()
    active.refresh_from_db()
    pending.refresh_from_db()
    assert not subscription_can_cancel(subscription=active)
    assert not subscription_can_undo(subscription=pending)


def test_a_long_reason_is_kept_whole_in_the_audit_and_cut_to_fit_elsewhere(
    client_at_epoch, paypal_sub, paypal_api
):
    words = ("Too many emails, not enough time to use it. " * 12)[:500].strip()
    cancel(client_at_epoch, paypal_sub, reason="not_using", reason_text=words)
    paypal_sub.refresh_from_db()
    stored = f"not_using — {words}"
    assert paypal_sub.cancel_reason == stored[:500]
    event = AuditEvent.objects.get(action="subscription.canceled")
    assert event.details["reason_text"] == words
    [suspend] = posts(paypal_api, "/suspend")
    # The label and the customer's words, cut to what a processor note takes.
    assert "I don’t use it enough — Too many emails" in suspend["json"]["reason"]
    assert len(suspend["json"]["reason"]) <= 128


def test_without_a_reason_the_processor_gets_the_plain_note(
    client_at_epoch, paypal_sub, paypal_api
):
    from billing.processors.adapters.paypal import DEFAULT_CANCEL_REASON

    paypal_sub.vendor.cancel_mode = "immediately"
    paypal_sub.vendor.save()
    cancel(client_at_epoch, paypal_sub)
    [call] = posts(paypal_api, "/cancel")
    assert call["json"]["reason"] == DEFAULT_CANCEL_REASON


def test_the_processors_period_end_wins_over_ours(client_at_epoch, paypal_sub, paypal_api):
    # Our copy is a day behind PayPal's: the cancellation records PayPal's date.
    Subscription.objects.filter(pk=paypal_sub.pk).update(
        current_period_end=PERIOD_END - timedelta(days=1)
    )
    cancel(client_at_epoch, paypal_sub)
    paypal_sub.refresh_from_db()
    assert paypal_sub.current_period_end == PERIOD_END
    event = AuditEvent.objects.get(action="subscription.canceled")
    assert event.details["effective_at"] == PERIOD_END.isoformat()


def test_an_ended_subscription_is_not_cancelled_again(paypal_sub, paypal_api):
    Subscription.objects.filter(pk=paypal_sub.pk).update(status="canceled")
    paypal_sub.refresh_from_db()
    with pytest.raises(CancelInProgress):
        subscription_cancel(subscription=paypal_sub, request=None)
    assert subscription_actions(paypal_api) == []


def test_a_claim_is_taken_over_only_after_two_minutes(paypal_sub, paypal_api, frozen_clock):
    # A request that died half way left its claim at EPOCH.
    Subscription.objects.filter(pk=paypal_sub.pk).update(cancel_requested_at=EPOCH)
    frozen_clock.set(EPOCH + timedelta(minutes=2))
    with pytest.raises(CancelInProgress):
        subscription_cancel(subscription=paypal_sub, request=None)
    assert subscription_actions(paypal_api) == []
    frozen_clock.advance(seconds=1)
    subscription_cancel(subscription=paypal_sub, request=None)
    paypal_sub.refresh_from_db()
    assert paypal_sub.cancel_at_period_end
    assert paypal_sub.cancel_requested_at == EPOCH + timedelta(minutes=2, seconds=1)
    # No reason given, none recorded or sent.
    assert paypal_sub.cancel_reason == ""
    event = AuditEvent.objects.get(action="subscription.canceled")
    assert (event.details["reason_code"], event.details["reason_text"]) == ("", "")
    [suspend] = posts(paypal_api, "/suspend")
    assert suspend["json"]["reason"] == PERIOD_END_NOTE


def test_keep_is_refused_without_a_pending_cancellation(paypal_sub, paypal_api):
    from billing.cancellation import subscription_cancel_undo

    with pytest.raises(ProcessorError) as refused:
        subscription_cancel_undo(subscription=paypal_sub, request=None)
    assert refused.value.code == "invalid"
    assert str(refused.value.message) == (
        "This subscription can no longer be kept: its paid period is over."
    )
    assert subscription_actions(paypal_api) == []
    assert not AuditEvent.objects.exists()


def test_finalizing_waits_for_stripe_to_end_the_subscription(stripe_vendor, alice, frozen_clock):
    sub = stripe_subscription(alice)
    subscription_cancel(subscription=sub, request=None)  # at period end
    sub.refresh_from_db()
    # Our clock says the period is over; Stripe has not ended it yet.
    frozen_clock.set(sub.current_period_end + timedelta(seconds=1))
    subscriptions_finalize_task()
    sub.refresh_from_db()
    assert sub.status == "active" and sub.cancel_at_period_end
    assert not AuditEvent.objects.filter(action="subscription.ended").exists()


def test_an_immediate_cancellation_sends_the_processor_120_characters_of_reason(
    client_at_epoch, paypal_sub, paypal_api
):
    paypal_sub.vendor.cancel_mode = "immediately"
    paypal_sub.vendor.save()
    words = "Too many emails, not enough time. " * 10
    cancel(client_at_epoch, paypal_sub, reason="not_using", reason_text=words)
    [call] = posts(paypal_api, "/cancel")
    assert call["json"]["reason"] == f"I don’t use it enough — {words}"[:120].strip()


def test_the_email_sent_later_still_gives_the_moment_of_the_cancellation(
    client_at_epoch, paypal_sub, paypal_api, frozen_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        cancel(client_at_epoch, paypal_sub)
    frozen_clock.advance(days=1, hours=3)  # the mail queue was slow today
    for callback in queued:
        callback()
    [email] = mail.outbox
    assert email.body.startswith("Hello Alice Adams,")
    assert f"on {local_datetime(EPOCH, paypal_sub.vendor, 'long')}." in email.body


def test_a_cancellation_set_for_period_end_is_not_claimed_again_later(
    client_at_epoch, paypal_sub, paypal_api, frozen_clock
):
    cancel(client_at_epoch, paypal_sub)
    frozen_clock.advance(minutes=10)  # long after its claim went stale
    paypal_sub.refresh_from_db()
    with pytest.raises(CancelInProgress):
        subscription_cancel(subscription=paypal_sub, request=None)
    assert len(posts(paypal_api, "/suspend")) == 1
