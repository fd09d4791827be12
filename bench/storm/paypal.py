"""The PayPal side of a renewal day (issue 26, point 6), beside the Stripe fake.

A PayPal renewal is one event: PAYMENT.SALE.COMPLETED (its resource a v1
sale naming the subscription as `billing_agreement_id`) or, for a declined
payment, BILLING.SUBSCRIPTION.PAYMENT.FAILED (the subscription). Each
delivery is verified at receipt by PayPal's verify-webhook-signature API,
and processing re-reads the subscription (with its plan) and its
transactions (billing/processors/paypal_sync.py). PayPal publishes no rate
limit: the fake applies one per client id (`--paypal-rate-limit`, 50 calls a
second by default) and answers PayPal's 429 (RATE_LIMIT_REACHED) beyond it.

Shapes as the PayPal Subscriptions API v1 documents them (and as
tests/support/fake_paypal.py, which a contract test checks against
paypal-server-sdk's models, answers them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import zlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bench.storm.world import PERIOD, World, failing

CLIENT_ID = "storm-paypal-client"
CLIENT_SECRET = "storm-paypal-secret"  # noqa: S105 (a fake's)
WEBHOOK_ID = "WH-STORM-WEBHOOK"
SIGNING_KEY = b"storm-paypal-signing-key"
PLAN_ID = "P-STORMPRO"
PAYPAL_PATHS = ("/v1/oauth2/", "/v1/billing/", "/v1/notifications/")
SUBSCRIPTION = re.compile(r"^I-STORM(\d{7})$")


def subscription_id(index: int) -> str:
    return f"I-STORM{index:07d}"


def sale_id(index: int) -> str:
    return f"STORMSALE{index:07d}"


def payer_id(index: int) -> str:
    return f"PAYERSTORM{index:07d}"


def _time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(value: str = "19.00") -> dict[str, str]:
    return {"currency_code": "USD", "value": value}


def subscription(world: World, index: int) -> dict[str, Any]:
    declined = failing(index)
    paid_at = world.renewed_at + 3600
    billing: dict[str, Any] = {
        "outstanding_balance": _money("19.00" if declined else "0.00"),
        "cycle_executions": [
            {
                "tenure_type": "REGULAR",
                "sequence": 1,
                "cycles_completed": 27,
                "cycles_remaining": 0,
                "total_cycles": 0,
            }
        ],
        "next_billing_time": _time(world.renewed_at + PERIOD),
        "failed_payments_count": 1 if declined else 0,
    }
    if not declined:
        billing["last_payment"] = {"amount": _money(), "time": _time(paid_at)}
    return {
        "id": subscription_id(index),
        "plan_id": PLAN_ID,
        "status": "ACTIVE",
        "status_update_time": _time(world.renewed_at - 800 * 86400),
        "start_time": _time(world.renewed_at - 800 * 86400),
        "quantity": "1",
        "subscriber": {
            "name": {"given_name": "Renewal", "surname": f"Customer {index}"},
            "email_address": f"renewal-{index}@storm.example",
            "payer_id": payer_id(index),
        },
        "billing_info": billing,
        "create_time": _time(world.renewed_at - 800 * 86400),
        "update_time": _time(paid_at),
        "plan": {
            "id": PLAN_ID,
            "product_id": "PROD-STORMPRO",
            "name": "Pro plan",
            "status": "ACTIVE",
            "billing_cycles": [
                {
                    "tenure_type": "REGULAR",
                    "sequence": 1,
                    "total_cycles": 0,
                    "frequency": {"interval_unit": "MONTH", "interval_count": 1},
                    "pricing_scheme": {"fixed_price": _money()},
                }
            ],
            "taxes": {"percentage": "0", "inclusive": True},
        },
        "links": [
            {
                "href": f"https://api.paypal.com/v1/billing/subscriptions/{subscription_id(index)}",
                "rel": "self",
                "method": "GET",
            }
        ],
    }


def transactions(world: World, index: int) -> dict[str, Any]:
    declined = failing(index)
    return {
        "transactions": [
            {
                "id": sale_id(index),
                "status": "DECLINED" if declined else "COMPLETED",
                "amount_with_breakdown": {
                    "gross_amount": _money(),
                    "fee_amount": _money("0.85"),
                    "net_amount": _money("18.15"),
                },
                "payer_name": {"given_name": "Renewal", "surname": f"Customer {index}"},
                "payer_email": f"renewal-{index}@storm.example",
                "time": _time(world.renewed_at + 3600),
            }
        ],
        "total_items": 1,
        "total_pages": 1,
    }


def sale(world: World, index: int) -> dict[str, Any]:
    return {
        "id": sale_id(index),
        "state": "completed",
        "amount": {"total": "19.00", "currency": "USD", "details": {"subtotal": "19.00"}},
        "payment_mode": "INSTANT_TRANSFER",
        "protection_eligibility": "ELIGIBLE",
        "transaction_fee": {"value": "0.85", "currency": "USD"},
        "billing_agreement_id": subscription_id(index),
        "create_time": _time(world.renewed_at + 3600),
        "update_time": _time(world.renewed_at + 3600),
        "links": [],
    }


def events(world: World, index: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(event type, resource type, resource) of one renewal, in PayPal's order."""
    if failing(index):
        return [("BILLING.SUBSCRIPTION.PAYMENT.FAILED", "subscription", subscription(world, index))]
    return [("PAYMENT.SALE.COMPLETED", "sale", sale(world, index))]


def event_body(event_id: str, kind: str, resource_type: str, resource: dict) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "event_version": "1.0",
            "create_time": _time(int(datetime.now(UTC).timestamp())),
            "resource_type": resource_type,
            "event_type": kind,
            "summary": kind.replace(".", " ").lower(),
            "resource": resource,
            "links": [],
        }
    ).encode()


def sign(*, transmission_id: str, transmission_time: str, body: bytes) -> str:
    """The signature the fake's verify-webhook-signature accepts: PayPal's
    own is an RSA signature over the same four fields (id, time, webhook
    id, CRC32 of the body); an HMAC keeps the fake free of certificates."""
    message = f"{transmission_id}|{transmission_time}|{WEBHOOK_ID}|{zlib.crc32(body)}"
    return hmac.new(SIGNING_KEY, message.encode(), hashlib.sha256).hexdigest()


def signed_headers(event_id: str, body: bytes, attempt: int) -> dict[str, str]:
    transmission_id = f"{event_id}-{attempt}"
    transmission_time = _time(int(datetime.now(UTC).timestamp()))
    return {
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": transmission_time,
        "PAYPAL-TRANSMISSION-SIG": sign(
            transmission_id=transmission_id, transmission_time=transmission_time, body=body
        ),
        "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-STORM",
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }


def account_of(request: web.Request) -> str:
    """The client id a PayPal call is made for: the Basic credentials of a
    token request, else the one the bearer token was issued to."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Basic":
        try:
            return base64.b64decode(value).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return ""
    return value.removeprefix("A21STORM.") if value.startswith("A21STORM.") else ""


def paypal_error(status: int, name: str, message: str) -> web.Response:
    return web.json_response(
        {"name": name, "message": message, "debug_id": "f0e1d2c3b4a59", "details": []},
        status=status,
    )


def rate_limited() -> web.Response:
    response = paypal_error(
        429, "RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting."
    )
    response.headers["Retry-After"] = "1"
    return response


def add_routes(app: web.Application, world: World) -> None:
    def index(request: web.Request) -> int | None:
        found = SUBSCRIPTION.match(request.match_info["id"])
        return int(found.group(1)) if found and world.exists(int(found.group(1))) else None

    def missing() -> web.Response:
        return paypal_error(
            404, "RESOURCE_NOT_FOUND", "The specified resource does not exist."
        )  # fmt: skip

    async def token(request: web.Request) -> web.Response:
        client = account_of(request)
        if not client:
            return web.json_response(
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
                status=401,
            )
        return web.json_response(
            {
                "scope": "https://uri.paypal.com/services/subscriptions",
                "access_token": f"A21STORM.{client}",
                "token_type": "Bearer",
                "app_id": "APP-STORM",
                "expires_in": 32400,
                "nonce": "2026-12-07T00:00:00Zstorm",
            }
        )

    async def get_subscription(request: web.Request) -> web.Response:
        i = index(request)
        return missing() if i is None else web.json_response(subscription(world, i))

    async def get_transactions(request: web.Request) -> web.Response:
        i = index(request)
        return missing() if i is None else web.json_response(transactions(world, i))

    async def verify(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            fields = json.loads(raw)
        except ValueError:
            return paypal_error(400, "INVALID_REQUEST", "Request is not well-formed.")
        if fields.get("webhook_id") != WEBHOOK_ID:
            return paypal_error(400, "INVALID_REQUEST", "Invalid data provided: webhook_id")
        # The event as delivered: the bytes after `"webhook_event":` (the
        # hub splices them in unchanged, see PayPalAdapter._verify_call).
        event = raw.split(b'"webhook_event":', 1)[1][:-1].strip()
        expected = sign(
            transmission_id=str(fields.get("transmission_id")),
            transmission_time=str(fields.get("transmission_time")),
            body=event,
        )
        good = hmac.compare_digest(expected, str(fields.get("transmission_sig")))
        return web.json_response({"verification_status": "SUCCESS" if good else "FAILURE"})

    app.router.add_post("/v1/oauth2/token", token)
    app.router.add_get("/v1/billing/subscriptions/{id}", get_subscription)
    app.router.add_get("/v1/billing/subscriptions/{id}/transactions", get_transactions)
    app.router.add_post("/v1/notifications/verify-webhook-signature", verify)
