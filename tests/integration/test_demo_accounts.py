"""Two vendors, two fake Stripe accounts (issue 21, point 3): the demo runs
one localstripe per vendor behind one address (tests/support/stripe_accounts),
so each vendor's key reads only its own objects and each account sends its
events to its own vendor's endpoint only, as Stripe does. An event that does
reach the wrong vendor creates nothing there."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from billing.models import Customer, Subscription, WebhookEvent
from billing.processors.adapters import stripe_adapter_for
from billing.processors.adapters.base import ProcessorError
from tests.conftest import local_server
from tests.support.processor_fixtures import stripe_subscription
from tests.support.webhooks import post_stripe, stripe_event


@pytest.fixture(scope="module")
def accounts():
    yield from local_server(
        ["tests.support.stripe_accounts", "0", "northwind", "acme"],
        ready_path="/js.stripe.com/v3/",
        what="the fake Stripe accounts",
    )


@pytest.fixture
def connected(settings, accounts, vendor, other_vendor):
    settings.STRIPE_API_BASE = accounts
    settings.STRIPE_JS_URL = f"{accounts}/js.stripe.com/v3/"
    for tenant in (vendor, other_vendor):
        tenant.stripe_secret_key = f"sk_test_{tenant.slug}"
        tenant.stripe_publishable_key = f"pk_test_{tenant.slug}"
        tenant.stripe_webhook_secret = f"whsec_{tenant.slug}"
        tenant.save()
    return vendor, other_vendor


@pytest.fixture
def catcher():
    """An HTTP endpoint that records the paths events are delivered to."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            paths.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", paths
    server.shutdown()


def test_each_vendors_key_reads_only_its_own_account(connected, alice):
    northwind, acme = connected
    subscription = stripe_subscription(alice)
    stripe_adapter_for(vendor=northwind).subscription_get(subscription_id=subscription.processor_id)
    with pytest.raises(ProcessorError) as refused:
        stripe_adapter_for(vendor=acme).subscription_get(subscription_id=subscription.processor_id)
    assert refused.value.code == "not_found"


def test_each_account_sends_its_events_to_its_own_vendor_only(connected, alice, catcher, accounts):
    base, paths = catcher
    for slug in ("northwind", "acme"):
        requests.post(
            f"{accounts}/_config/webhooks/catch-{slug}",
            data={"url": f"{base}/{slug}/", "secret": f"whsec_{slug}"},
            timeout=5,
        ).raise_for_status()
    try:
        stripe_subscription(alice)
        deadline = time.monotonic() + 10
        while "/northwind/" not in paths and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # localstripe sends a call's events together, about 1 s later
        assert "/northwind/" in paths
        assert "/acme/" not in paths
    finally:
        for slug in ("northwind", "acme"):
            requests.post(
                f"{accounts}/_config/webhooks/catch-{slug}",
                data={"url": f"{base}/{slug}/", "events[]": ["hub.test.never"]},
                timeout=5,
            )


def test_an_event_about_another_accounts_object_creates_nothing(
    connected, alice, client, django_capture_on_commit_callbacks
):
    northwind, acme = connected
    subscription = stripe_subscription(alice)
    payload = stripe_event(
        "customer.subscription.created",
        {"id": subscription.processor_id, "object": "subscription"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_stripe(client, payload, account="acme", secret="whsec_acme")
    assert response.status_code == 200
    event = WebhookEvent.objects.get(vendor=acme, event_id=json.loads(payload)["id"])
    assert event.outcome == "ignored"
    assert not Customer.objects.filter(vendor=acme).exists()
    assert not Subscription.objects.filter(vendor=acme).exists()
