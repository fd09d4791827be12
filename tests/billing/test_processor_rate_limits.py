"""One rate limiter per processor account, in Redis, shared by every worker
process; a 429's Retry-After is honoured and the event still processed once."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from billing.models import Subscription, WebhookEvent
from billing.processors.rate_limits import (
    AccountRateLimiter,
    paypal_rate_limiter,
    stripe_rate_limiter,
)
from tests.support.processor_fixtures import stripe_subscription
from tests.support.throttling_proxy import ThrottlingProxy
from tests.support.webhooks import SECRET, post_stripe, stripe_event

ROOT = Path(__file__).resolve().parents[2]


def test_the_limits_are_stripes_and_a_setting_for_paypal(settings):
    assert stripe_rate_limiter(secret_key="sk_live_abc").limit == 100
    assert stripe_rate_limiter(secret_key="rk_live_abc").limit == 100
    assert stripe_rate_limiter(secret_key="sk_test_abc").limit == 25
    assert paypal_rate_limiter(client_id="client-a").limit == 50
    settings.PAYPAL_RATE_LIMIT = 7
    assert paypal_rate_limiter(client_id="client-a").limit == 7
    # One bucket per account, whichever vendor uses it.
    assert (
        stripe_rate_limiter(secret_key="sk_live_abc").key
        == stripe_rate_limiter(secret_key="sk_live_abc").key
        != stripe_rate_limiter(secret_key="sk_live_xyz").key
    )


def test_in_any_second_the_bucket_hands_out_at_most_the_limit(redis_url):
    limiter = AccountRateLimiter(processor="stripe", account=uuid.uuid4().hex, rate=20)
    taken = sum(limiter.try_take() == 0 for _ in range(100))
    # A burst of a tenth of the limit, then the refill (90% of it) over the
    # milliseconds the loop took: far below the 100 asked.
    assert 2 <= taken <= 4


TAKER = """
import sys, time
import django
django.setup()
from billing.processors.rate_limits import AccountRateLimiter
limiter = AccountRateLimiter(processor="stripe", account=sys.argv[1], rate=float(sys.argv[2]))
start, end = float(sys.argv[3]), float(sys.argv[3]) + float(sys.argv[4])
while time.time() < start:
    time.sleep(0.005)
taken = 0
while time.time() < end:
    if limiter.try_take() == 0:
        taken += 1
    else:
        time.sleep(0.002)
print(taken)
"""


def test_two_processes_share_one_bucket(redis_url):
    account, rate, seconds = uuid.uuid4().hex, 20.0, 1.5
    start = time.time() + 4  # both have imported Django by then
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    takers = [
        subprocess.Popen(
            [sys.executable, "-c", TAKER, account, str(rate), str(start), str(seconds)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    counts = [int(p.communicate(timeout=30)[0].strip()) for p in takers]

    limiter = AccountRateLimiter(processor="stripe", account=account, rate=rate)
    allowed = limiter.capacity + limiter.rate * seconds
    # Together they got what one account may have, not twice that
    # (a bucket per process would hand each of them `allowed`).
    assert sum(counts) <= allowed + 2, counts
    assert sum(counts) >= limiter.rate * seconds - 3, counts
    assert all(counts), counts


# --- 429 ------------------------------------------------------------------------------


@pytest.fixture
def hooked_vendor(stripe_vendor):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    return stripe_vendor


def deliver_subscription_updated(client, subscription):
    payload = stripe_event(
        "customer.subscription.updated",
        {
            "id": subscription.processor_id,
            "object": "subscription",
            "customer": subscription.customer.stripe_customer_id,
        },
    )
    assert post_stripe(client, payload).status_code == 200
    return WebhookEvent.objects.get(event_id=json.loads(payload)["id"])


def test_a_429_is_waited_out_in_the_thread_and_the_event_processed_once(
    client, hooked_vendor, alice, settings, localstripe, django_capture_on_commit_callbacks
):
    subscription = stripe_subscription(alice)
    Subscription.objects.filter(pk=subscription.pk).update(status="past_due")
    path = f"/v1/subscriptions/{subscription.processor_id}"
    with ThrottlingProxy(localstripe, path_prefix=path, refusals=1, retry_after="1") as proxy:
        settings.STRIPE_API_BASE = proxy.url
        with django_capture_on_commit_callbacks(execute=True):
            event = deliver_subscription_updated(client, subscription)

    event.refresh_from_db()
    assert (event.outcome, event.attempts) == ("processed", 1)
    subscription.refresh_from_db()
    assert subscription.status == "active"  # Stripe's state, read after the wait
    refused, answered = proxy.calls(path)
    assert (refused["status"], answered["status"]) == (429, 200)
    assert answered["at"] - refused["at"] >= 0.95  # Retry-After: 1


@pytest.fixture
def worker_behind_proxy(request, monkeypatch, localstripe, redis_url, transactional_db):
    """A real worker whose Stripe calls go through the throttling proxy."""
    proxy = ThrottlingProxy(localstripe, path_prefix="/v1/subscriptions/", refusals=1,
                            retry_after="6")  # fmt: skip
    with proxy:
        monkeypatch.setenv("STRIPE_API_BASE", proxy.url)
        monkeypatch.setenv("HUB_TEST_EAGER", "0")  # the worker re-queues through Redis
        worker = request.getfixturevalue("celery_worker")
        yield proxy, worker


def test_a_long_retry_after_sends_the_event_back_to_the_queue_without_losing_it(
    client, hooked_vendor, alice, worker_behind_proxy
):
    proxy, _ = worker_behind_proxy
    subscription = stripe_subscription(alice)
    Subscription.objects.filter(pk=subscription.pk).update(status="past_due")

    event = deliver_subscription_updated(client, subscription)

    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        event.refresh_from_db()
        if event.outcome == "processed":
            break
        time.sleep(0.2)
    assert (event.outcome, event.attempts) == ("processed", 2), (event.error, proxy.seen)
    subscription.refresh_from_db()
    assert subscription.status == "active"
    refused, answered = proxy.calls(f"/v1/subscriptions/{subscription.processor_id}")
    assert (refused["status"], answered["status"]) == (429, 200)
    # Retry-After: 6 is longer than a thread waits: the task came back after
    # it (not after a failure's 30 s backoff), and a wait is not a failure.
    assert 5.9 <= answered["at"] - refused["at"] < 15
    assert event.error == ""


def test_paypal_calls_of_the_webhook_path_wait_for_the_paypal_bucket(
    client, paypal_vendor, paypal_api, django_capture_on_commit_callbacks
):
    from tests.billing.test_paypal_webhooks import WEBHOOK_ID, paypal_sub
    from tests.support.fake_paypal import signed_headers

    paypal_vendor.paypal_webhook_id = WEBHOOK_ID
    paypal_vendor.save()
    created = paypal_sub(paypal_api)
    body = json.dumps(
        {
            "id": f"WH-{uuid.uuid4().hex[:16]}",
            "event_version": "1.0",
            "create_time": "2026-11-28T10:00:00Z",
            "resource_type": "subscription",
            "event_type": "BILLING.SUBSCRIPTION.ACTIVATED",
            "resource": {"id": created["id"]},
        }
    ).encode()
    meta = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in signed_headers(webhook_id=WEBHOOK_ID, body=body).items()
    }
    # Another worker was told 429 by PayPal a moment ago: the account's
    # bucket is paused, and this event's reads wait for it.
    paypal_rate_limiter(client_id=paypal_vendor.paypal_client_id).pause(1.5)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/paypal/northwind/", data=body, content_type="application/json", **meta
        )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().outcome == "processed"
    assert time.monotonic() - started >= 1.4
    assert Subscription.objects.get(processor_id=created["id"]).processor == "paypal"
