"""Signed webhook deliveries for tests: a Stripe event exactly as Stripe
sends it (the `Stripe-Signature` scheme: HMAC-SHA256 of "<t>.<body>"), for
objects that really exist at localstripe, so processing re-fetches them."""

import hashlib
import hmac
import json
import time
import uuid

SECRET = "whsec_test_northwind"
PREVIOUS_SECRET = "whsec_test_northwind_old"


def signature(payload: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), b"%d." % timestamp + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signed}"


def stripe_event(kind: str, obj: dict, *, event_id: str = "", livemode: bool = False) -> bytes:
    body = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28",
        "created": int(time.time()),
        "livemode": livemode,
        "type": kind,
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def post_stripe(client, payload: bytes, *, account="northwind", secret=SECRET, timestamp=None):
    return client.post(
        f"/webhooks/stripe/{account}/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(payload, secret, timestamp),
    )
