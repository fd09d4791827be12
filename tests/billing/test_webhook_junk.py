"""Validly signed junk is a 400, never a 500 (issue 21, point 9), and a
Stripe signature dated in the future is refused (point 10).

The bodies are signed with the vendor's real secret (Stripe) or verified by
the fake PayPal, so they pass the signature check and reach the code that
reads and stores them. Hypothesis draws events whose every field may have
the wrong type or hostile content (NUL, lone surrogates, huge numbers,
NaN, deep nesting); each answer must be a 200 for a well-formed event or a
400, and nothing the database cannot hold is ever sent to it.
"""

import json
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import WebhookEvent
from tests.support.fake_paypal import signed_headers
from tests.support.webhooks import SECRET, post_stripe, signature, stripe_event

PAYPAL_WEBHOOK_ID = "WH-NORTHWIND-1"

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

HOSTILE_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\x00", "evt_\x00", "a\ud800b", "\u202e", "a" * 300, "", " "]),
    st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=8), st.text(max_size=8)),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=8,
)


def maybe(good, junk=JUNK):
    return st.one_of(good, junk)


STRIPE_OBJECT = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.sampled_from(["cus_123", "sub_123", "in_123", "ch_123"])),
        "object": maybe(st.sampled_from(["customer", "subscription", "invoice", "charge"])),
        "customer": JUNK,
    },
)
STRIPE_EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.builds(lambda: f"evt_{uuid.uuid4().hex}")),
        "object": maybe(st.just("event")),
        "type": maybe(
            st.sampled_from(["customer.updated", "invoice.paid", "customer.subscription.updated"])
        ),
        "created": maybe(st.integers(min_value=0, max_value=2**40)),
        "livemode": JUNK,
        "data": maybe(st.fixed_dictionaries({}, optional={"object": maybe(STRIPE_OBJECT)})),
    },
)
PAYPAL_EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.builds(lambda: f"WH-{uuid.uuid4().hex[:16]}")),
        "event_version": JUNK,
        "create_time": maybe(
            st.sampled_from(["2026-11-28T10:00:00Z", "9999-12-31T23:59:59-23:59"])
        ),
        "resource_type": maybe(st.just("subscription")),
        "event_type": maybe(
            st.sampled_from(["BILLING.SUBSCRIPTION.UPDATED", "PAYMENT.CAPTURE.REFUNDED"])
        ),
        "resource": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": maybe(st.just("I-1")),
                    "sale_id": maybe(st.just("SALE-1")),
                    "billing_agreement_id": maybe(st.just("I-1")),
                    "amount": maybe(st.fixed_dictionaries({}, optional={"total": JUNK})),
                    "create_time": JUNK,
                    "reason": JUNK,
                    "note_to_payer": JUNK,
                    "links": maybe(
                        st.lists(
                            st.fixed_dictionaries({}, optional={"rel": JUNK, "href": JUNK}),
                            max_size=2,
                        )
                    ),
                },
            )
        ),
    },
)


def dumps(value) -> bytes:
    # Lone surrogates and NUL survive as JSON escapes, as a sender could write them.
    return json.dumps(value, allow_nan=True).encode()


@pytest.fixture
def stripe_hooked(stripe_vendor):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    return stripe_vendor


@pytest.fixture
def paypal_hooked(paypal_vendor):
    paypal_vendor.paypal_webhook_id = PAYPAL_WEBHOOK_ID
    paypal_vendor.save()
    return paypal_vendor


def post_paypal(client, body: bytes):
    try:
        headers = signed_headers(webhook_id=PAYPAL_WEBHOOK_ID, body=body)
    except UnicodeEncodeError:
        # The fake signs canonical UTF-8, which a lone surrogate has not:
        # sent with another body's signature, it must still not be a 500.
        headers = signed_headers(webhook_id=PAYPAL_WEBHOOK_ID, body=b"{}")
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(
        "/webhooks/paypal/northwind/", data=body, content_type="application/json", **meta
    )


def assert_answered(response) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.content)
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_\u0000", "type": "customer.updated", "created": 1, "data": {"object": {}}},
        {"id": "evt_1", "type": "customer.updated", "created": 1, "data": "a string"},
        {"id": "evt_1", "type": "customer.updated", "created": 1, "data": {"object": "x"}},
        {"id": "evt_1", "type": "customer.updated", "created": "soon", "data": {}},
        {"id": "evt_1", "type": "customer.updated", "created": 10**30, "data": {}},
        {"id": "evt_1", "type": "customer.updated", "created": float("inf"), "data": {}},
        {"id": "evt_1", "type": "customer\u0000", "created": 1, "data": {}},
        {"id": ["evt_1"], "type": "customer.updated", "created": 1, "data": {}},
        {"id": "evt_1", "type": "x", "created": 1, "data": {"object": {"id": "cus_\ud800"}}},
    ],
)
def test_stripe_junk_that_is_validly_signed_is_a_400(client, stripe_hooked, body):
    response = post_stripe(client, dumps(body))
    assert response.status_code == 400, response.content
    assert response.json() in ({"error": "invalid event"}, {"error": "invalid JSON"})
    assert not WebhookEvent.objects.exists()


def test_a_lone_surrogate_anywhere_is_a_400(client, paypal_hooked, paypal_api):
    body = b'{"id": "WH-1", "event_type": "X", "event_version": {"a\\ud800b": null}}'
    response = post_paypal(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid JSON"}


def test_stripe_deep_nesting_is_a_400(client, stripe_hooked):
    response = post_stripe(client, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"id": "WH-\u0000", "event_type": "BILLING.SUBSCRIPTION.UPDATED", "resource": {}},
        {"id": "WH-1", "event_type": "BILLING.SUBSCRIPTION.UPDATED", "resource": "a string"},
        {"id": "WH-1", "event_type": "BILLING\u0000", "resource": {}},
        {"id": "WH-1", "event_type": "X", "resource": {"id": "I-\u0000"}},
        {"id": "WH-1", "event_type": "X", "create_time": "9999-12-31T23:59:59-23:59"},
        {"id": 7, "event_type": "X"},
        {"id": "WH-1", "event_type": "X", "resource": {"sale_id": "S\u0000"}},
        {"id": "WH-1", "event_type": "X", "resource": {"amount": "4.00"}},
        {"id": "WH-1", "event_type": "X", "resource": {"amount": {"total": "NaN"}}},
        {"id": "WH-1", "event_type": "X", "resource": {"reason": "a\u0000"}},
        {"id": "WH-1", "event_type": "X", "resource": {"create_time": "yesterday"}},
        {"id": "WH-1", "event_type": "X", "resource": {"note_to_payer": "a\u0000"}},
        {"id": "WH-1", "event_type": "X", "resource": {"links": "up"}},
        {"id": "WH-1", "event_type": "X", "resource": {"links": ["up"]}},
        {"id": "WH-1", "event_type": "X", "resource": {"links": [{"rel": "up", "href": 7}]}},
        {"id": "WH-1", "event_type": "X", "resource": {"links": [{"href": "/v2/\u0000"}]}},
        {"id": "WH-1", "event_type": "X", "resource": {"amount": {"value": "NaN"}}},
    ],
)
def test_paypal_junk_that_is_validly_signed_is_a_400(client, paypal_hooked, paypal_api, body):
    response = post_paypal(client, dumps(body))
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "invalid event"}
    assert not WebhookEvent.objects.exists()


def test_a_well_formed_event_is_still_stored(client, stripe_hooked):
    payload = stripe_event("customer.updated", {"id": "cus_1", "object": "customer"})
    assert post_stripe(client, payload).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_a_stripe_signature_dated_in_the_future_is_refused(client, stripe_hooked):
    payload = stripe_event("customer.updated", {"id": "cus_1", "object": "customer"})
    response = post_stripe(client, payload, timestamp=int(time.time()) + 301)
    assert response.status_code == 400
    assert response.json() == {"error": "timestamp in the future"}
    assert not WebhookEvent.objects.exists()
    # A few seconds of clock skew between Stripe and us is fine.
    assert post_stripe(client, payload, timestamp=int(time.time()) + 30).status_code == 200


def test_a_signature_header_with_control_characters_is_a_400(client, stripe_hooked):
    payload = stripe_event("customer.updated", {"id": "cus_1", "object": "customer"})
    header = signature(payload) + ",x=\x00\x01"
    response = client.post(
        "/webhooks/stripe/northwind/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@BOUNDED
@given(event=STRIPE_EVENTS)
def test_no_signed_stripe_body_is_a_500(postgres, client, stripe_hooked, event):
    assert_answered(post_stripe(client, dumps(event)))


@BOUNDED
@given(event=PAYPAL_EVENTS)
def test_no_signed_paypal_body_is_a_500(postgres, client, paypal_hooked, paypal_api, event):
    assert_answered(post_paypal(client, dumps(event)))


@BOUNDED
@given(body=JUNK)
def test_no_signed_json_value_is_a_500(postgres, client, stripe_hooked, body):
    assert_answered(post_stripe(client, dumps(body)))
