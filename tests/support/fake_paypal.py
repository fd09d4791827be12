"""A fake PayPal REST API for tests and the demo: in memory, 127.0.0.1 only.

    python -m tests.support.fake_paypal --port 0 [--seed demo]

prints the port it listens on as the first line of stdout. It answers the
calls the hub makes, in PayPal's JSON shapes (field names, status strings,
error bodies `{"name", "message", "debug_id", "details"}`):

    POST /v1/oauth2/token                         client credentials (Basic auth)
    GET  /v1/billing/subscriptions/{id}           a subscription (always with `plan`)
    POST /v1/billing/subscriptions                create; ACTIVE at once (no approval)
    POST /v1/billing/subscriptions/{id}/cancel    {"reason"} -> 204; ACTIVE|SUSPENDED -> CANCELLED
    POST /v1/billing/subscriptions/{id}/suspend   {"reason"} -> 204; ACTIVE -> SUSPENDED
    POST /v1/billing/subscriptions/{id}/activate  {"reason"} -> 204; SUSPENDED -> ACTIVE
    GET  /v1/billing/subscriptions/{id}/transactions?start_time=&end_time=
    POST /v1/notifications/verify-webhook-signature
    GET  /v1/notifications/webhooks               the registered webhooks ({"webhooks": [...]})
    GET  /v1/notifications/webhooks/{id}          one webhook: url, event_types [{"name"}]
    GET  /myaccount/autopay/                      an HTML page ("manage on PayPal")

Test controls, fake-only:

    POST /_fake/reset            forget everything (the --seed data comes back)
    POST /_fake/subscriptions    insert a subscription from the given fields; returns it
    POST /_fake/fail             {"status": 503, "count": N}: the next N API calls fail so
    POST /_fake/webhooks         {"url", "events": [names]}: register a webhook; returns it
    GET  /_fake/calls            the API calls received: method, path, query, json, status,
                                 request_id (the PayPal-Request-Id header)

Credentials: any non-empty client id and secret get a token, except the secret
"wrong-secret" (401 invalid_client, as PayPal answers bad credentials).

Fake-only conveniences: a subscription's price and product live in `plan`
(the shape PayPal returns for `?fields=plan`: `name`, `billing_cycles[].
pricing_scheme.fixed_price`, `frequency`) and in `billing_info.last_payment`.
Inserting or creating accepts `amount` ({"currency_code", "value"}),
`product_name`, `interval_unit` and `transactions` (a list replacing the one
made-up payment) besides PayPal's own fields, which are merged over the
defaults (so `{"billing_info": {"failed_payments_count": 2}}` works).

Webhook signatures: PayPal signs with a certificate; the fake signs with an
HMAC-SHA256, keyed with WEBHOOK_SECRET, of
`transmission_id|transmission_time|webhook_id|crc32(body)`, hex encoded. The
verify call receives the event as a JSON object, not as bytes, so `body` is
the event's canonical JSON (sorted keys, compact separators, UTF-8): `sign()`
canonicalises the raw body the same way, and any change to the event's
content fails verification. Use `signed_headers()` to build a delivery.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hmac
import json
import secrets
import threading
import zlib
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WEBHOOK_SECRET = b"fake-paypal-webhook-secret"
WRONG_SECRET = "wrong-secret"

DEMO_SUBSCRIPTION = {
    "id": "I-DEMOBLAIR0001",
    "plan_id": "P-DEMOCOMMUNITY01",
    "product_name": "Community Access",
    "amount": {"currency_code": "USD", "value": "9.00"},
    "subscriber": {
        "email_address": "blair@example.com",
        "payer_id": "DEMOBLAIR01",
        "name": {"given_name": "Blair", "surname": "Chen"},
    },
}

INTERVALS = {"DAY": timedelta(days=1), "WEEK": timedelta(weeks=1), "MONTH": timedelta(days=30)}


# --- signing (used by tests to make valid webhook deliveries) -----------------


def canonical_event(body: bytes | str | dict) -> bytes:
    event = body if isinstance(body, dict) else json.loads(body)
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(*, transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> str:
    """The transmission signature the fake accepts for this delivery."""
    crc = zlib.crc32(canonical_event(body))
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()
    return hmac.new(WEBHOOK_SECRET, message, sha256).hexdigest()


def signed_headers(*, webhook_id: str, body: bytes, transmission_id: str = "") -> dict[str, str]:
    """The PAYPAL-* headers of a correctly signed webhook delivery of `body`."""
    transmission_id = transmission_id or f"fake-{secrets.token_hex(8)}"
    transmission_time = _now_iso()
    return {
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": transmission_time,
        "PAYPAL-TRANSMISSION-SIG": sign(
            transmission_id=transmission_id,
            transmission_time=transmission_time,
            webhook_id=webhook_id,
            body=body,
        ),
        "PAYPAL-CERT-URL": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-FAKE",
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }


# --- state ----------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_iso() -> str:
    return _iso(_now())


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _random_id(prefix: str, length: int = 12) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


class State:
    def __init__(self, seed: str = "") -> None:
        self.lock = threading.Lock()
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.subscriptions: dict[str, dict] = {}
        self.transactions: dict[str, list[dict]] = {}
        self.calls: list[dict] = []
        self.tokens: set[str] = set()
        self.fail_status = 0
        self.fail_count = 0
        self.webhooks: dict[str, dict] = {}
        if self.seed == "demo":
            demo = copy.deepcopy(DEMO_SUBSCRIPTION)
            demo["billing_info"] = {"next_billing_time": _iso(_now() + timedelta(days=30))}
            self.add_subscription(demo)

    def add_subscription(self, fields: dict) -> dict:
        fields = dict(fields)
        amount = fields.pop("amount", None) or {"currency_code": "USD", "value": "9.00"}
        product_name = fields.pop("product_name", "") or "Monthly plan"
        unit = str(fields.pop("interval_unit", "MONTH")).upper()
        transactions = fields.pop("transactions", None)
        now = _now()
        started = now - timedelta(days=2)
        sub_id = fields.pop("id", "") or _random_id("I-")
        payer_id = _random_id("", 13)
        subscription: dict[str, Any] = {
            "id": sub_id,
            "plan_id": "P-FAKEPLAN0001",
            "status": "ACTIVE",
            "status_update_time": _iso(started),
            "start_time": _iso(started),
            "create_time": _iso(started),
            "update_time": _iso(started),
            "quantity": "1",
            "plan_overridden": False,
            "subscriber": {
                "email_address": "payer@example.com",
                "payer_id": payer_id,
                "name": {"given_name": "Pat", "surname": "Payer"},
            },
            "billing_info": {
                "outstanding_balance": {"currency_code": amount["currency_code"], "value": "0.00"},
                "cycle_executions": [
                    {
                        "tenure_type": "REGULAR",
                        "sequence": 1,
                        "cycles_completed": 1,
                        "cycles_remaining": 0,
                        "current_pricing_scheme_version": 1,
                        "total_cycles": 0,
                    }
                ],
                "last_payment": {"amount": dict(amount), "time": _iso(started)},
                "next_billing_time": _iso(started + INTERVALS.get(unit, INTERVALS["MONTH"])),
                "failed_payments_count": 0,
            },
            "plan": {
                "product_id": "PROD-FAKE0001",
                "name": product_name,
                "billing_cycles": [
                    {
                        "tenure_type": "REGULAR",
                        "sequence": 1,
                        "total_cycles": 0,
                        "frequency": {"interval_unit": unit, "interval_count": 1},
                        "pricing_scheme": {"version": 1, "fixed_price": dict(amount)},
                    }
                ],
            },
            "links": [],
        }
        _merge(subscription, fields)
        self.subscriptions[sub_id] = subscription
        if transactions is None:
            subscriber = subscription["subscriber"]
            transactions = [
                {
                    "id": _random_id("", 17),
                    "status": "COMPLETED",
                    "amount_with_breakdown": {
                        "gross_amount": dict(amount),
                        "fee_amount": {"currency_code": amount["currency_code"], "value": "0.00"},
                        "net_amount": dict(amount),
                    },
                    "payer_name": subscriber.get("name", {}),
                    "payer_email": subscriber.get("email_address", ""),
                    "time": subscription["billing_info"]["last_payment"]["time"],
                }
            ]
        self.transactions[sub_id] = transactions
        return subscription

    def take_failure(self) -> int:
        if self.fail_count > 0:
            self.fail_count -= 1
            return self.fail_status
        return 0


# --- HTTP -------------------------------------------------------------------------

ERROR_NAMES = {
    400: (
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
    ),
    403: ("NOT_AUTHORIZED", "Authorization failed due to insufficient permissions."),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    422: (
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed "
        "business validation.",
    ),
    429: ("RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting."),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error has occurred."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable."),
}

# (from statuses, to status) for each action.
TRANSITIONS = {
    "cancel": ({"ACTIVE", "SUSPENDED"}, "CANCELLED"),
    "suspend": ({"ACTIVE"}, "SUSPENDED"),
    "activate": ({"SUSPENDED"}, "ACTIVE"),
}

AUTOPAY_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fake PayPal</title></head>
<body><h1>Fake PayPal: manage your automatic payments</h1>
<p>This page stands in for PayPal's automatic payments settings in tests and the demo.</p>
</body></html>
"""


class ApiError(Exception):
    def __init__(self, status: int, issue: str = "", description: str = "") -> None:
        self.status = status
        self.issue = issue
        self.description = description


class Handler(BaseHTTPRequestHandler):
    server_version = "FakePayPal/1.0"
    protocol_version = "HTTP/1.1"
    state: State  # set on the class by main()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: tests read the calls from /_fake/calls

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # --- plumbing

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = url.path.rstrip("/") or "/"
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        state = self.state
        if path.startswith("/_fake"):
            with state.lock:
                self._fake_control(method, path, _json(raw))
            return
        if path == "/myaccount/autopay":
            self._send(200, AUTOPAY_PAGE, "text/html; charset=utf-8")
            return
        with state.lock:
            call = {
                "method": method,
                "path": path,
                "query": query,
                "json": _json(raw),
                "request_id": self.headers.get("PayPal-Request-Id", ""),
            }
            state.calls.append(call)
            failure = state.take_failure()
            try:
                if failure:
                    raise ApiError(failure)
                status, body = self._api(method, path, query, raw)
            except ApiError as error:
                status, body = error.status, _error_body(error)
            call["status"] = status
        if status == 204:
            self._send(204, b"")
        else:
            self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str = "") -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Paypal-Debug-Id", secrets.token_hex(7))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _fake_control(self, method: str, path: str, body: Any) -> None:
        state = self.state
        body = body if isinstance(body, dict) else {}
        if method == "POST" and path == "/_fake/reset":
            state.reset()
            self._send(204, b"")
        elif method == "POST" and path == "/_fake/subscriptions":
            created = state.add_subscription(body)
            self._send(201, json.dumps(created).encode(), "application/json")
        elif method == "POST" and path == "/_fake/fail":
            state.fail_status = int(body.get("status", 500))
            state.fail_count = int(body.get("count", 1))
            self._send(204, b"")
        elif method == "POST" and path == "/_fake/webhooks":
            webhook = {
                "id": "WH-" + secrets.token_hex(8).upper(),
                "url": str(body.get("url", "")),
                "event_types": [{"name": str(name)} for name in body.get("events") or []],
            }
            state.webhooks[webhook["id"]] = webhook
            self._send(201, json.dumps(webhook).encode(), "application/json")
        elif method == "GET" and path == "/_fake/calls":
            self._send(200, json.dumps(state.calls).encode(), "application/json")
        else:
            self._send(404, b'{"error": "unknown fake control"}', "application/json")

    # --- PayPal's API

    def _api(self, method: str, path: str, query: dict, raw: bytes) -> tuple[int, Any]:
        if method == "POST" and path == "/v1/oauth2/token":
            return self._token()
        self._check_bearer()
        state = self.state
        body = _json(raw)
        body = body if isinstance(body, dict) else {}
        parts = path.strip("/").split("/")
        if path == "/v1/notifications/verify-webhook-signature" and method == "POST":
            return 200, {"verification_status": _verify(body)}
        if parts[:3] == ["v1", "notifications", "webhooks"] and method == "GET":
            if len(parts) == 3:
                return 200, {"webhooks": list(state.webhooks.values())}
            webhook = state.webhooks.get(parts[3]) if len(parts) == 4 else None
            if webhook is None:
                raise ApiError(404, "INVALID_RESOURCE_ID", "Webhook id does not exist.")
            return 200, webhook
        if parts[:3] != ["v1", "billing", "subscriptions"]:
            raise ApiError(404, "INVALID_RESOURCE_ID", "Requested resource was not found.")
        if len(parts) == 3 and method == "POST":
            fields = dict(body)
            fields.pop("status", None)
            return 201, state.add_subscription(fields)
        if len(parts) < 4:
            raise ApiError(404, "INVALID_RESOURCE_ID", "Requested resource was not found.")
        subscription = state.subscriptions.get(parts[3])
        if subscription is None:
            raise ApiError(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
        if len(parts) == 4 and method == "GET":
            return 200, subscription
        action = parts[4] if len(parts) == 5 else ""
        if action == "transactions" and method == "GET":
            return 200, {"transactions": _between(state.transactions[parts[3]], query)}
        if action in TRANSITIONS and method == "POST":
            return self._transition(subscription, action, body)
        raise ApiError(404, "INVALID_RESOURCE_ID", "Requested resource was not found.")

    def _token(self) -> tuple[int, Any]:
        client_id, secret = _basic_credentials(self.headers.get("Authorization", ""))
        if not client_id or not secret or secret == WRONG_SECRET:
            return 401, {
                "error": "invalid_client",
                "error_description": "Client Authentication failed",
            }
        token = "A21AA" + secrets.token_urlsafe(24)
        self.state.tokens.add(token)
        return 200, {
            "scope": "https://uri.paypal.com/services/subscriptions",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-FAKE",
            "expires_in": 32400,
            "nonce": secrets.token_hex(8),
        }

    def _check_bearer(self) -> None:
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        if token not in self.state.tokens:
            raise ApiError(401)

    def _transition(self, subscription: dict, action: str, body: dict) -> tuple[int, Any]:
        reason = str(body.get("reason") or "")
        if action in ("cancel", "suspend") and not reason:
            raise ApiError(400, "MISSING_REQUIRED_PARAMETER", "A required field is missing.")
        allowed, target = TRANSITIONS[action]
        if subscription["status"] not in allowed:
            raise ApiError(
                422,
                "SUBSCRIPTION_STATUS_INVALID",
                f"Invalid subscription status for {action} action; subscription status "
                f"should be {' or '.join(sorted(allowed)).lower()}.",
            )
        now = _now()
        subscription["status"] = target
        subscription["status_update_time"] = _iso(now)
        subscription["update_time"] = _iso(now)
        subscription["status_change_note"] = reason
        billing = subscription["billing_info"]
        if target == "CANCELLED":
            billing.pop("next_billing_time", None)
        elif target == "ACTIVE":
            next_time = _parse_time(billing.get("next_billing_time", ""))
            if next_time is None or next_time <= now:
                billing["next_billing_time"] = _iso(now + INTERVALS["MONTH"])
        return 204, None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def _error_body(error: ApiError) -> dict:
    if error.status == 401:
        return {
            "error": "invalid_token",
            "error_description": "Token signature verification failed",
        }
    name, message = ERROR_NAMES.get(error.status, ("INTERNAL_SERVER_ERROR", "Server error."))
    body: dict[str, Any] = {"name": name, "message": message, "debug_id": secrets.token_hex(7)}
    body["details"] = (
        [{"issue": error.issue, "description": error.description}] if error.issue else []
    )
    return body


def _basic_credentials(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except ValueError:
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _between(transactions: list[dict], query: dict) -> list[dict]:
    start = _parse_time(query.get("start_time", ""))
    end = _parse_time(query.get("end_time", ""))
    if start is None or end is None:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "start_time and end_time are required.")
    found = []
    for transaction in transactions:
        moment = _parse_time(transaction.get("time", ""))
        if moment is not None and start <= moment <= end:
            found.append(transaction)
    return found


def _verify(body: dict) -> str:
    event = body.get("webhook_event")
    if not isinstance(event, dict):
        raise ApiError(400, "MISSING_REQUIRED_PARAMETER", "webhook_event is required.")
    expected = sign(
        transmission_id=str(body.get("transmission_id") or ""),
        transmission_time=str(body.get("transmission_time") or ""),
        webhook_id=str(body.get("webhook_id") or ""),
        body=canonical_event(event),
    )
    given = str(body.get("transmission_sig") or "")
    return "SUCCESS" if hmac.compare_digest(given, expected) else "FAILURE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", choices=["demo"], default="")
    args = parser.parse_args()
    Handler.state = State(seed=args.seed)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
