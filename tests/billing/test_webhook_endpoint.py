"""POST /webhooks/stripe/<account>/: verification, storage and deduplication.

Deliveries are signed exactly as Stripe signs them (tests/support/webhooks.py)
and name objects that exist at localstripe, where processing re-fetches them.
"""

import json
import logging
import threading
import time

import pytest
from django.db import connection

from billing.models import WebhookEvent
from tests.support.celery_conf import celery_conf_set
from tests.support.webhooks import PREVIOUS_SECRET, SECRET, post_stripe, signature, stripe_event


@pytest.fixture
def hooked_vendor(stripe_vendor):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    return stripe_vendor


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """Deliver a payload signed like Stripe; what the view queues on commit
    (the processing task) runs, eagerly, before this returns."""

    def deliver(payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_stripe(client, payload, **kwargs)

    return deliver


def customer_event(customer_id="cus_unknown", **kwargs):
    return stripe_event("customer.updated", {"id": customer_id, "object": "customer"}, **kwargs)


def test_it_refuses_a_bad_signature(post, hooked_vendor):
    payload = customer_event()
    response = post(payload, secret="whsec_wrong")
    assert response.status_code == 400
    assert response.json() == {"error": "bad signature"}
    assert not WebhookEvent.objects.exists()


def test_it_refuses_a_missing_signature(client, hooked_vendor):
    response = client.post(
        "/webhooks/stripe/northwind/", data=customer_event(), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"error": "missing signature"}
    assert not WebhookEvent.objects.exists()


def test_it_refuses_a_stale_timestamp(post, hooked_vendor):
    payload = customer_event()
    response = post(payload, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert response.json() == {"error": "stale timestamp"}
    assert not WebhookEvent.objects.exists()


def test_it_accepts_a_timestamp_within_tolerance(post, hooked_vendor):
    response = post(customer_event(), timestamp=int(time.time()) - 250)
    assert response.status_code == 200


def test_it_accepts_the_previous_secret_while_the_vendor_rolls_it(post, hooked_vendor):
    hooked_vendor.stripe_webhook_secret = "whsec_test_new"
    hooked_vendor.stripe_webhook_secret_previous = PREVIOUS_SECRET
    hooked_vendor.save()
    assert post(customer_event(), secret=PREVIOUS_SECRET).status_code == 200
    assert post(customer_event(), secret="whsec_test_new").status_code == 200
    assert post(customer_event(), secret=SECRET).status_code == 400
    assert WebhookEvent.objects.count() == 2


def test_a_vendor_without_a_webhook_secret_refuses_everything(post, stripe_vendor):
    response = post(customer_event())
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_it_refuses_an_unknown_account(post, hooked_vendor):
    response = post(customer_event(), account="nobody-here")
    assert response.status_code == 400
    assert response.json() == {"error": "unknown account"}


def test_control_characters_in_the_account_are_refused(client, hooked_vendor):
    # Refused before any view (a control character in a path is a 404 site-wide).
    response = client.post(
        "/webhooks/stripe/north%00wind/", data=b"{}", content_type="application/json"
    )
    assert response.status_code in (400, 404)
    assert not WebhookEvent.objects.exists()


def test_it_refuses_a_body_over_one_mebibyte(post, hooked_vendor):
    payload = stripe_event(
        "customer.updated", {"id": "cus_x", "object": "customer", "pad": "x" * (1024 * 1024)}
    )
    response = post(payload)
    assert response.status_code == 400
    assert response.json() == {"error": "body too large"}
    assert not WebhookEvent.objects.exists()


def test_it_refuses_bad_json(post, hooked_vendor):
    payload = b"{not json"
    response = post(payload)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid JSON"}


def test_only_post_is_allowed(client, hooked_vendor):
    assert client.get("/webhooks/stripe/northwind/").status_code == 405


def test_a_refusal_is_logged_without_the_body(post, hooked_vendor, caplog):
    payload = stripe_event(
        "customer.updated", {"id": "cus_x", "object": "customer", "email": "secret@example.com"}
    )
    with caplog.at_level(logging.INFO):
        post(payload, secret="whsec_wrong")
    assert "bad signature" in caplog.text
    assert "secret@example.com" not in caplog.text
    assert "whsec" not in caplog.text


def test_it_stores_a_verified_event(post, hooked_vendor):
    payload = customer_event(event_id="evt_stored_1")
    response = post(payload)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.vendor, event.processor, event.event_id) == (
        hooked_vendor,
        "stripe",
        "evt_stored_1",
    )
    assert event.event_type == "customer.updated"
    assert event.body == payload.decode()
    assert event.occurred_at is not None and event.livemode is False
    assert event.received_at is not None
    assert event.attempts == 1  # processed at once: tasks run eagerly here
    assert "Stripe-Signature" in event.headers


def test_a_redelivery_answers_200_and_changes_nothing(post, hooked_vendor):
    payload = customer_event(event_id="evt_twice")
    first = post(payload)
    second = post(payload)
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    event = WebhookEvent.objects.get()
    assert event.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_store_one_event(postgres, hooked_vendor):
    """Two requests racing on one event id: the unique constraint decides."""
    from django.test import Client

    payload = customer_event(event_id="evt_race")
    header = signature(payload)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver():
        try:
            barrier.wait(timeout=5)
            response = Client().post(
                "/webhooks/stripe/northwind/",
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200]
    assert WebhookEvent.objects.filter(event_id="evt_race").count() == 1


def test_a_processing_error_is_stored_and_never_a_500(post, hooked_vendor, settings, caplog):
    from billing.tasks import webhook_event_process_task
    from hub.celery import app

    # The vendor's Stripe key is gone: processing fails every time.
    hooked_vendor.stripe_secret_key = ""
    hooked_vendor.save()
    response = post(customer_event(event_id="evt_fails"))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.outcome, event.attempts) == ("retrying", 1)
    assert "not_connected" in event.error or event.error
    # Swallowed for the processor, not for us: an error with its traceback,
    # naming the stored event.
    [logged] = [r for r in caplog.records if r.name == "billing.processors.webhooks"]
    assert (logged.levelno, logged.getMessage()) == (
        logging.ERROR,
        f"webhook event {event.pk}: could not queue its processing",
    )
    assert logged.exc_info
    # The retries (with backoff at the broker; run here one after the other).
    settings.WEBHOOK_MAX_RETRIES = 3
    celery_conf_set(app, task_eager_propagates=False)
    try:
        webhook_event_process_task.apply(args=[event.pk])
    finally:
        celery_conf_set(app, task_eager_propagates=True)
    event.refresh_from_db()
    assert event.outcome == "failed"
    assert event.attempts == 5
    assert event.processed_at is None


def test_a_test_mode_event_at_a_live_vendor_is_stored_and_ignored(post, hooked_vendor):
    hooked_vendor.stripe_secret_key = "sk_live_northwind"
    hooked_vendor.save()
    response = post(customer_event(event_id="evt_test_mode"))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.outcome == "ignored"
    assert json.loads(event.body)["livemode"] is False


def test_a_live_event_at_a_test_vendor_is_stored_and_ignored(post, hooked_vendor):
    response = post(customer_event(event_id="evt_live", livemode=True))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().outcome == "ignored"


def test_an_event_type_we_do_not_handle_is_kept_as_ignored(post, hooked_vendor):
    payload = stripe_event("plan.created", {"id": "plan_1", "object": "plan"})
    assert post(payload).status_code == 200
    assert WebhookEvent.objects.get().outcome == "ignored"
