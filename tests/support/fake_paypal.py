"""A fake PayPal REST API for tests and the demo: in memory, 127.0.0.1 only.

    python -m tests.support.fake_paypal --port 0 [--seed demo]

prints the port it listens on as the first line of stdout. It answers the
calls the hub makes, in PayPal's JSON shapes (field names, status strings,
error bodies `{"name", "message", "debug_id", "details"}`); a contract test
(tests/billing/adapters/test_paypal_contract.py) parses its answers with
`paypal-server-sdk`'s own models and refuses any field they do not declare:

    POST /v1/oauth2/token                         client credentials (Basic auth)
    GET  /v1/billing/subscriptions/{id}           a subscription (always with `plan`)
    POST /v1/billing/subscriptions                create: APPROVAL_PENDING with an
                                                  `approve` link, as PayPal does
    POST /v1/billing/subscriptions/{id}/cancel    {"reason"} -> 204; ACTIVE|SUSPENDED -> CANCELLED
    POST /v1/billing/subscriptions/{id}/suspend   {"reason"} -> 204; ACTIVE -> SUSPENDED
    POST /v1/billing/subscriptions/{id}/activate  {"reason"} -> 204; SUSPENDED -> ACTIVE, except
                                                  one PayPal suspended itself after failed
                                                  payments: 422 SUBSCRIPTION_CANNOT_BE_ACTIVATED
    GET  /v1/billing/subscriptions/{id}/transactions?start_time=&end_time=
    GET  /v1/payments/refund/{id}                 a refund or reversal (names its `sale_id`)
    GET  /v2/payments/refunds/{id}                the same refund as v2 shows it (its sale
                                                  in the `up` link)
    GET  /v2/payments/captures/{id}               a subscription's sale as a captured payment
    POST /v2/payments/captures/{id}/refund        {} (what is left) or {"amount"}: 201 with
                                                  id, status COMPLETED, amount (only id,
                                                  status and links with `Prefer:
                                                  return=minimal`, PayPal's default); 422
                                                  CAPTURE_FULLY_REFUNDED when nothing is
                                                  left, REFUND_AMOUNT_EXCEEDED, 404 for an
                                                  unknown capture. The same PayPal-Request-Id
                                                  again returns the first refund, refunding
                                                  nothing more
    POST /v1/notifications/verify-webhook-signature
    GET  /v1/notifications/webhooks               the registered webhooks ({"webhooks": [...]})
    GET  /v1/notifications/webhooks/{id}          one webhook: url, event_types [{"name"}]
    GET  /myaccount/autopay/                      an HTML page ("manage on PayPal")
    GET  /webapps/billing/subscriptions?ba_token= the approve link: the buyer approves, the
                                                  subscription becomes ACTIVE and is charged

Test controls, fake-only:

    POST /_fake/reset            forget everything (the --seed data comes back)
    POST /_fake/subscriptions    insert a subscription from the given fields; returns it
    POST /_fake/subscriptions/{id}/renew   {"status": "COMPLETED"|"FAILED"|"DECLINED",
                                 "list": true}: a renewal as PayPal bills it. A failure
                                 raises failed_payments_count and the outstanding
                                 balance; at the plan's payment_failure_threshold PayPal
                                 suspends the subscription itself. With "list": false the
                                 transactions list lags (the sale is not in it yet).
                                 Returns {"transaction", "sale"} (the PAYMENT.SALE.COMPLETED
                                 resource of a completed one) and the subscription.
    POST /_fake/subscriptions/{id}/catch-up  the lagging transactions list shows them all
    POST /_fake/subscriptions/{id}/expire  the plan ran out of cycles: EXPIRED
    POST /_fake/refunds          {"sale_id", "value", "reversal": bool, "v2": bool}: a
                                 refund (or a chargeback) of a sale; returns the
                                 PAYMENT.SALE.REFUNDED (or .REVERSED) resource, with
                                 PayPal's negative total, or with "v2" the
                                 PAYMENT.CAPTURE.REFUNDED (or .REVERSED) one
    POST /_fake/fail             {"status": 503, "count": N}: the next N API calls fail so
    POST /_fake/webhooks         {"url", "events": [names]}: register a webhook; returns it
    GET  /_fake/calls            the API calls received: method, path, query, json, status,
                                 request_id (the PayPal-Request-Id header), raw (the body)

Credentials: any non-empty client id and secret get a token, except the secret
"wrong-secret" (401 invalid_client, as PayPal answers bad credentials).

Fake-only conveniences: a subscription's price and product live in `plan`
(the shape PayPal returns for `?fields=plan`: `name`, `billing_cycles[].
pricing_scheme.fixed_price`, `frequency`, `taxes`, `payment_preferences`) and
in `billing_info.last_payment`. Inserting or creating accepts `amount`
({"currency_code", "value"}), `product_name`, `interval_unit`, `tax_percentage`
(an exclusive tax PayPal adds to each charge) and `transactions` (a list
replacing the one made-up payment) besides PayPal's own fields (for instance
`shipping_amount`), which are merged over the defaults (so
`{"billing_info": {"failed_payments_count": 2}}` works). A charge's gross
amount is what PayPal takes: items, plus tax and shipping.

Webhook signatures: PayPal signs with a certificate over
`transmission_id|transmission_time|webhook_id|crc32(body)`, the body being the
bytes it delivered. The fake signs the same message with an HMAC-SHA256 keyed
with WEBHOOK_SECRET. Its verify call, like PayPal's, checks the signature
against the `webhook_event` exactly as the caller wrote it in the request
body: a re-serialised event (escaped non-ASCII text, `1.10` read as a float
and written `1.1`, keys reordered) no longer matches. A `webhook_id` that is
not PayPal's shape (`^[a-zA-Z0-9]+$`, at most 50 characters) is a 400
VALIDATION_ERROR, as PayPal answers. Use `signed_headers()` to build a delivery.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hmac
import json
import re
import secrets
import threading
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WEBHOOK_SECRET = b"fake-paypal-webhook-secret"
# PayPal's HATEOAS links name its API host (the sandbox's, for this fake).
LINK_BASE = "https://api.sandbox.paypal.com"
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


def sign(*, transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> str:
    """The transmission signature the fake accepts for this delivery of `body`
    (the exact bytes delivered)."""
    crc = zlib.crc32(body)
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


ZERO_DECIMAL = {"JPY", "HUF", "TWD", "KRW", "CLP", "ISK"}


def _money(currency: str, value: Decimal) -> dict:
    exponent = Decimal("1") if currency in ZERO_DECIMAL else Decimal("0.01")
    return {"currency_code": currency, "value": str(value.quantize(exponent))}


def _value(money: dict | None) -> Decimal:
    try:
        return Decimal(str((money or {}).get("value") or "0"))
    except ArithmeticError:
        return Decimal("0")


class State:
    def __init__(self, seed: str = "") -> None:
        self.lock = threading.Lock()
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.subscriptions: dict[str, dict] = {}
        self.transactions: dict[str, list[dict]] = {}
        # Sales charged but not yet in the transactions list (PayPal's lag).
        self.unlisted: dict[str, list[dict]] = {}
        self.refunds: dict[str, dict] = {}
        # The same refunds as the v2 payments API shows them (same ids).
        self.v2_refunds: dict[str, dict] = {}
        # v2 capture refunds by PayPal-Request-Id: a repeated request gets
        # the first answer (PayPal keeps the ids 45 days).
        self.refund_requests: dict[str, dict] = {}
        # Subscriptions PayPal suspended itself after failed payments: they
        # cannot be activated (fake-side state, nothing PayPal shows).
        self.system_suspended: set[str] = set()
        self.approval_tokens: dict[str, str] = {}
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
        tax_percentage = fields.pop("tax_percentage", None)
        transactions = fields.pop("transactions", None)
        now = _now()
        started = now - timedelta(days=2)
        sub_id = fields.pop("id", "") or _random_id("I-")
        payer_id = _random_id("", 13)
        plan: dict[str, Any] = {
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
            "payment_preferences": {"auto_bill_outstanding": True, "payment_failure_threshold": 3},
        }
        if tax_percentage is not None:
            plan["taxes"] = {"percentage": str(tax_percentage), "inclusive": False}
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
            "plan": plan,
            "links": [],
        }
        _merge(subscription, fields)
        self.subscriptions[sub_id] = subscription
        if transactions is None:
            charge = self._charge(subscription, "COMPLETED", started)
            if "last_payment" not in (fields.get("billing_info") or {}):
                gross = charge["amount_with_breakdown"]["gross_amount"]
                subscription["billing_info"]["last_payment"]["amount"] = dict(gross)
            transactions = [charge]
        self.transactions[sub_id] = transactions
        self.unlisted[sub_id] = []
        return subscription

    def _charge(self, subscription: dict, status: str, moment: datetime) -> dict:
        """One billing of the subscription as PayPal makes it: the plan's
        price times the quantity, plus the plan's exclusive tax, plus the
        subscription's shipping; the gross amount is what the payer pays."""
        plan = subscription.get("plan") or {}
        cycle = (plan.get("billing_cycles") or [{}])[-1]
        price = (cycle.get("pricing_scheme") or {}).get("fixed_price") or {}
        currency = str(price.get("currency_code") or "USD")
        items = _value(price) * Decimal(str(subscription.get("quantity") or "1"))
        taxes = plan.get("taxes") or {}
        tax = Decimal("0")
        if taxes and not taxes.get("inclusive", True):
            tax = items * Decimal(str(taxes.get("percentage") or "0")) / 100
            tax = Decimal(_money(currency, tax)["value"])
        shipping = _value(subscription.get("shipping_amount"))
        gross = items + tax + shipping
        fee = Decimal(_money(currency, gross * Decimal("0.03"))["value"])
        breakdown = {
            "gross_amount": _money(currency, gross),
            "total_item_amount": _money(currency, items),
            "fee_amount": _money(currency, fee),
            "shipping_amount": _money(currency, shipping),
            "tax_amount": _money(currency, tax),
            "net_amount": _money(currency, gross - fee),
        }
        subscriber = subscription.get("subscriber") or {}
        return {
            "id": _random_id("", 17),
            "status": status,
            "amount_with_breakdown": breakdown,
            "payer_name": dict(subscriber.get("name") or {}),
            "payer_email": subscriber.get("email_address", ""),
            "time": _iso(moment),
        }

    def renew(self, sub_id: str, status: str, listed: bool) -> dict:
        """A renewal billed now; see the module doc (`/renew`)."""
        subscription = self.subscriptions[sub_id]
        now = _now()
        charge = self._charge(subscription, status, now)
        (self.transactions if listed else self.unlisted)[sub_id].append(charge)
        billing = subscription["billing_info"]
        gross = charge["amount_with_breakdown"]["gross_amount"]
        sale = None
        if status == "COMPLETED":
            billing["last_payment"] = {"amount": dict(gross), "time": charge["time"]}
            billing["failed_payments_count"] = 0
            billing["outstanding_balance"] = _money(gross["currency_code"], Decimal("0"))
            for cycle in billing.get("cycle_executions") or []:
                if cycle.get("tenure_type") == "REGULAR":
                    cycle["cycles_completed"] = int(cycle.get("cycles_completed") or 0) + 1
            unit = ((subscription["plan"]["billing_cycles"][-1]).get("frequency") or {}).get(
                "interval_unit", "MONTH"
            )
            billing["next_billing_time"] = _iso(now + INTERVALS.get(unit, INTERVALS["MONTH"]))
            sale = _sale_resource(charge, sub_id)
        else:
            billing["failed_payments_count"] = int(billing.get("failed_payments_count") or 0) + 1
            owed = _value(billing.get("outstanding_balance")) + _value(gross)
            billing["outstanding_balance"] = _money(gross["currency_code"], owed)
            billing["last_failed_payment"] = {
                "amount": dict(gross),
                "time": charge["time"],
                "reason_code": "PAYMENT_DENIED",
            }
            threshold = int(
                (subscription["plan"].get("payment_preferences") or {}).get(
                    "payment_failure_threshold"
                )
                or 0
            )
            if threshold and billing["failed_payments_count"] >= threshold:
                subscription["status"] = "SUSPENDED"
                subscription["status_update_time"] = charge["time"]
                billing.pop("next_billing_time", None)
                self.system_suspended.add(sub_id)
        subscription["update_time"] = charge["time"]
        return {"transaction": charge, "sale": sale, "subscription": subscription}

    def expire(self, sub_id: str) -> dict:
        subscription = self.subscriptions[sub_id]
        now = _iso(_now())
        subscription.update(status="EXPIRED", status_update_time=now, update_time=now)
        subscription["billing_info"].pop("next_billing_time", None)
        return subscription

    def _sale(self, sale_id: str) -> dict:
        for sub_id, rows in self.transactions.items():
            for charge in rows + self.unlisted.get(sub_id, []):
                if charge["id"] == sale_id:
                    return charge
        raise ApiError(404, "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")

    def _refunded(self, sale_id: str) -> Decimal:
        return sum(
            (
                -Decimal(r["amount"]["total"])
                for r in self.refunds.values()
                if r["sale_id"] == sale_id
            ),
            Decimal("0"),
        )

    def capture(self, sale_id: str) -> dict:
        """A subscription's sale as v2's captured payment."""
        charge = self._sale(sale_id)
        gross = charge["amount_with_breakdown"]["gross_amount"]
        status = {"REFUNDED": "REFUNDED", "PARTIALLY_REFUNDED": "PARTIALLY_REFUNDED"}.get(
            charge["status"], "COMPLETED" if charge["status"] == "COMPLETED" else "DECLINED"
        )
        return {
            "id": sale_id,
            "status": status,
            "amount": dict(gross),
            "final_capture": True,
            "create_time": charge["time"],
            "update_time": charge["time"],
            "links": [
                {"href": f"/v2/payments/captures/{sale_id}", "rel": "self", "method": "GET"},
                {"href": f"/v2/payments/captures/{sale_id}/refund", "rel": "refund",
                 "method": "POST"},
            ],
        }  # fmt: skip

    def capture_refund(self, sale_id: str, body: dict, request_id: str) -> dict:
        """POST /v2/payments/captures/{id}/refund: the v2 refund (its v1
        twin is kept in `refunds`, as PayPal shows both)."""
        if request_id and request_id in self.refund_requests:
            return self.refund_requests[request_id]
        charge = self._sale(sale_id)
        gross = charge["amount_with_breakdown"]["gross_amount"]
        currency = gross["currency_code"]
        left = _value(gross) - self._refunded(sale_id)
        if charge["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"):
            raise ApiError(422, "CAPTURE_STATUS_NOT_VALID", "Invalid capture status.")
        if left <= 0:
            raise ApiError(
                422, "CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded."
            )
        amount = left
        if isinstance(body.get("amount"), dict):
            wanted = body["amount"]
            if str(wanted.get("currency_code") or "") != currency:
                raise ApiError(
                    422, "REFUND_CURRENCY_MISMATCH", "Refund currency must match the capture's.",
                    field="/amount/currency_code",
                )  # fmt: skip
            amount = _value(wanted)
            if amount <= 0:
                raise ApiError(
                    422, "INVALID_PARAMETER_VALUE", "The amount must be positive.",
                    field="/amount/value",
                )  # fmt: skip
            if amount > left:
                raise ApiError(
                    422, "REFUND_AMOUNT_EXCEEDED",
                    "The refund amount must be less than or equal to the capture amount "
                    "that has not yet been refunded.",
                )  # fmt: skip
        v1 = self.refund(sale_id, str(amount), False)
        refund = copy.deepcopy(self.v2_refunds[v1["id"]])
        if request_id:
            self.refund_requests[request_id] = refund
        return refund

    def refund(self, sale_id: str, value: str, reversal: bool, v2: bool = False) -> dict:
        """A refund (or a chargeback: `reversal`) of a sale, as the resource of
        PayPal's PAYMENT.SALE.REFUNDED (or .REVERSED) event: PayPal writes
        the total negative. A reversal's event does not name the sale (PayPal's
        sample event): the refund's own link leads to it. With `v2`, as the
        resource of PAYMENT.CAPTURE.REFUNDED (or .REVERSED), which reports a
        refund made through the v2 payments API: a v2 refund with the same
        id, a positive amount, and the sale only in its `up` link (PayPal's
        sample events)."""
        found = [
            (sub_id, t)
            for sub_id, rows in self.transactions.items()
            for t in rows + self.unlisted.get(sub_id, [])
            if t["id"] == sale_id
        ]
        if not found:
            raise ApiError(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
        _, charge = found[0]
        currency = charge["amount_with_breakdown"]["gross_amount"]["currency_code"]
        amount = Decimal(str(value))
        refund_id = _random_id("", 17)
        now = _iso(_now())
        refund = {
            "id": refund_id,
            "create_time": now,
            "update_time": now,
            "state": "completed",
            "amount": {"total": str(-amount), "currency": currency},
            "sale_id": sale_id,
            "parent_payment": "PAY-" + _random_id("", 24),
            "links": [
                {"href": f"/v1/payments/refund/{refund_id}", "rel": "self", "method": "GET"},
                {"href": f"/v1/payments/sale/{sale_id}", "rel": "sale", "method": "GET"},
            ],
        }
        self.refunds[refund_id] = refund
        twin: dict[str, Any] = {
            "id": refund_id,
            "amount": _money(currency, amount),
            "status": "COMPLETED",
            "create_time": now,
            "update_time": now,
            "links": [
                {"href": f"{LINK_BASE}/v2/payments/refunds/{refund_id}", "rel": "self",
                 "method": "GET"},
                {"href": f"{LINK_BASE}/v2/payments/captures/{sale_id}", "rel": "up",
                 "method": "GET"},
            ],
        }  # fmt: skip
        if reversal:
            twin["note_to_payer"] = "Payment reversed"
        self.v2_refunds[refund_id] = twin
        gross = _value(charge["amount_with_breakdown"]["gross_amount"])
        refunded = self._refunded(sale_id)
        charge["status"] = "REFUNDED" if refunded >= gross else "PARTIALLY_REFUNDED"
        if v2:
            return copy.deepcopy(twin)
        if reversal:
            return {
                "id": refund_id,
                "create_time": now,
                "state": "completed",
                "amount": {"total": str(-amount), "currency": currency},
                "links": [refund["links"][0]],
            }
        return refund

    def create_pending(self, fields: dict, base: str) -> dict:
        """POST /v1/billing/subscriptions: PayPal answers APPROVAL_PENDING, with
        the link the buyer must follow; nothing is charged before that."""
        fields = dict(fields)
        fields.pop("status", None)
        subscription = self.add_subscription({**fields, "transactions": []})
        token = "BA-" + _random_id("", 17)
        self.approval_tokens[token] = subscription["id"]
        now = _iso(_now())
        subscription.update(
            status="APPROVAL_PENDING",
            status_update_time=now,
            create_time=now,
            update_time=now,
            start_time=now,
        )
        subscription["billing_info"] = {
            "outstanding_balance": subscription["billing_info"]["outstanding_balance"],
            "cycle_executions": subscription["billing_info"]["cycle_executions"],
            "failed_payments_count": 0,
        }
        subscription["billing_info"]["cycle_executions"][0]["cycles_completed"] = 0
        sub_id = subscription["id"]
        subscription["links"] = [
            {
                "href": f"{base}/webapps/billing/subscriptions?ba_token={token}",
                "rel": "approve",
                "method": "GET",
            },
            {"href": f"{base}/v1/billing/subscriptions/{sub_id}", "rel": "edit", "method": "PATCH"},
            {"href": f"{base}/v1/billing/subscriptions/{sub_id}", "rel": "self", "method": "GET"},
        ]
        return subscription

    def approve(self, token: str) -> dict | None:
        """The buyer approved on PayPal: the subscription starts and the first
        cycle is charged."""
        sub_id = self.approval_tokens.pop(token, "")
        subscription = self.subscriptions.get(sub_id)
        if subscription is None or subscription["status"] != "APPROVAL_PENDING":
            return None
        subscription["status"] = "ACTIVE"
        subscription["links"] = [link for link in subscription["links"] if link["rel"] != "approve"]
        self.renew(sub_id, "COMPLETED", listed=True)
        return subscription

    def take_failure(self) -> int:
        if self.fail_count > 0:
            self.fail_count -= 1
            return self.fail_status
        return 0


def _sale_resource(charge: dict, sub_id: str) -> dict:
    """The resource of PayPal's PAYMENT.SALE.COMPLETED for a subscription's
    charge (the v1 sale: `amount.total` with its details, the subscription
    as `billing_agreement_id`)."""
    breakdown = charge["amount_with_breakdown"]
    currency = breakdown["gross_amount"]["currency_code"]
    details = {
        "subtotal": breakdown["total_item_amount"]["value"],
        "tax": breakdown["tax_amount"]["value"],
        "shipping": breakdown["shipping_amount"]["value"],
    }
    return {
        "id": charge["id"],
        "state": "completed",
        "amount": {
            "total": breakdown["gross_amount"]["value"],
            "currency": currency,
            "details": details,
        },
        "payment_mode": "INSTANT_TRANSFER",
        "protection_eligibility": "ELIGIBLE",
        "transaction_fee": {"value": breakdown["fee_amount"]["value"], "currency": currency},
        "billing_agreement_id": sub_id,
        "create_time": charge["time"],
        "update_time": charge["time"],
        "links": [
            {"href": f"/v1/payments/sale/{charge['id']}", "rel": "self", "method": "GET"},
        ],
    }


def event_body(kind: str, resource: dict, *, event_id: str = "", resource_type: str = "") -> bytes:
    """A webhook delivery's body as PayPal writes it (UTF-8, non-ASCII text
    as it is, the amounts as the strings PayPal sends)."""
    event = {
        "id": event_id or "WH-" + _random_id("", 17) + "-" + _random_id("", 17),
        "event_version": "1.0",
        "create_time": _now_iso(),
        "resource_type": resource_type
        or ("subscription" if kind.startswith("BILLING.") else "sale"),
        "event_type": kind,
        "summary": kind.replace(".", " ").lower(),
        "resource": resource,
    }
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


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


APPROVE_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fake PayPal</title></head>
<body><h1>Fake PayPal: subscription approved</h1></body></html>
"""


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        issue: str = "",
        description: str = "",
        *,
        name: str = "",
        field: str = "",
    ) -> None:
        self.status = status
        self.issue = issue
        self.description = description
        self.name = name
        self.field = field


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
        if path == "/webapps/billing/subscriptions" and method == "GET":
            with state.lock:
                approved = state.approve(query.get("ba_token", ""))
            self._send(200 if approved else 404, APPROVE_PAGE, "text/html; charset=utf-8")
            return
        with state.lock:
            call = {
                "method": method,
                "path": path,
                "query": query,
                "json": _json(raw),
                "request_id": self.headers.get("PayPal-Request-Id", ""),
                "raw": raw.decode("utf-8", "replace"),
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
        elif method == "POST" and path.startswith("/_fake/subscriptions/"):
            parts = path.split("/")
            sub_id, action = (parts[3], parts[4]) if len(parts) == 5 else ("", "")
            if sub_id not in state.subscriptions or action not in ("renew", "expire", "catch-up"):
                self._send(404, b'{"error": "unknown subscription"}', "application/json")
                return
            if action == "renew":
                result: Any = state.renew(
                    sub_id, str(body.get("status") or "COMPLETED"), bool(body.get("list", True))
                )
            elif action == "catch-up":
                state.transactions[sub_id].extend(state.unlisted[sub_id])
                state.unlisted[sub_id] = []
                result = {"transactions": state.transactions[sub_id]}
            else:
                result = state.expire(sub_id)
            self._send(200, json.dumps(result).encode(), "application/json")
        elif method == "POST" and path == "/_fake/refunds":
            try:
                refund = state.refund(
                    str(body.get("sale_id") or ""),
                    str(body.get("value") or "0"),
                    bool(body.get("reversal")),
                    bool(body.get("v2")),
                )
            except ApiError:
                self._send(404, b'{"error": "unknown sale"}', "application/json")
                return
            self._send(201, json.dumps(refund).encode(), "application/json")
        elif method == "POST" and path == "/_fake/fail":
            state.fail_status = int(body.get("status", 500))
            state.fail_count = int(body.get("count", 1))
            self._send(204, b"")
        elif method == "POST" and path == "/_fake/webhooks":
            webhook = {
                "id": _random_id("", 17),
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
            return 200, {"verification_status": _verify(raw)}
        if parts[:3] == ["v1", "notifications", "webhooks"] and method == "GET":
            if len(parts) == 3:
                return 200, {"webhooks": list(state.webhooks.values())}
            webhook = state.webhooks.get(parts[3]) if len(parts) == 4 else None
            if webhook is None:
                raise ApiError(404, "INVALID_RESOURCE_ID", "Webhook id does not exist.")
            return 200, webhook
        if parts[:3] == ["v1", "payments", "refund"] and len(parts) == 4 and method == "GET":
            refund = state.refunds.get(parts[3])
            if refund is None:
                raise ApiError(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
            return 200, refund
        if parts[:3] == ["v2", "payments", "refunds"] and len(parts) == 4 and method == "GET":
            refund = state.v2_refunds.get(parts[3])
            if refund is None:
                raise ApiError(404, "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
            return 200, refund
        if parts[:3] == ["v2", "payments", "captures"] and len(parts) in (4, 5):
            if len(parts) == 4 and method == "GET":
                return 200, state.capture(parts[3])
            if len(parts) == 5 and parts[4] == "refund" and method == "POST":
                refund = state.capture_refund(
                    parts[3], body, self.headers.get("PayPal-Request-Id", "")
                )
                if "return=representation" not in self.headers.get("Prefer", ""):
                    refund = {k: refund[k] for k in ("id", "status", "links")}
                return 201, refund
        if parts[:3] != ["v1", "billing", "subscriptions"]:
            raise ApiError(404, "INVALID_RESOURCE_ID", "Requested resource was not found.")
        if len(parts) == 3 and method == "POST":
            base = f"http://{self.headers.get('Host', '127.0.0.1')}"
            return 201, state.create_pending(body, base)
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
        if action == "activate" and subscription["id"] in self.state.system_suspended:
            # PayPal suspended it after the failure threshold: only paying the
            # balance (on PayPal, or a capture) can bring it back.
            raise ApiError(
                422,
                "SUBSCRIPTION_CANNOT_BE_ACTIVATED",
                "Subscription cannot be activated.",
            )
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
    body: dict[str, Any] = {
        "name": error.name or name,
        "message": message,
        "debug_id": secrets.token_hex(7),
    }
    detail = {"field": error.field} if error.field else {}
    body["details"] = (
        [{**detail, "issue": error.issue, "description": error.description}] if error.issue else []
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


WEBHOOK_ID_SHAPE = re.compile(r"[a-zA-Z0-9]{1,50}")


def _verify(raw: bytes) -> str:
    """PayPal's verify-webhook-signature: the signature is checked over the
    `webhook_event` member as written in this request, not over a parsed copy."""
    try:
        text = raw.decode("utf-8")
        members = _raw_members(text)
    except ValueError:
        raise ApiError(400, "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
    event_text = members.get("webhook_event")
    if event_text is None or not event_text.lstrip().startswith("{"):
        raise ApiError(400, "MISSING_REQUIRED_PARAMETER", "webhook_event is required.")
    fields = {k: json.loads(v) for k, v in members.items() if k != "webhook_event"}
    webhook_id = fields.get("webhook_id")
    if not isinstance(webhook_id, str) or not WEBHOOK_ID_SHAPE.fullmatch(webhook_id):
        raise ApiError(
            400,
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
            name="VALIDATION_ERROR",
            field="/webhook_id",
        )
    expected = sign(
        transmission_id=str(fields.get("transmission_id") or ""),
        transmission_time=str(fields.get("transmission_time") or ""),
        webhook_id=webhook_id,
        body=event_text.encode("utf-8"),
    )
    given = str(fields.get("transmission_sig") or "")
    return "SUCCESS" if hmac.compare_digest(given, expected) else "FAILURE"


def _raw_members(text: str) -> dict[str, str]:
    """The members of a JSON object, each value as its raw source text."""
    decoder = json.JSONDecoder()
    index = _skip(text, 0)
    if text[index : index + 1] != "{":
        raise ValueError("not an object")
    members: dict[str, str] = {}
    index = _skip(text, index + 1)
    if text[index : index + 1] == "}":
        return members
    while True:
        key, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        if not isinstance(key, str) or text[index : index + 1] != ":":
            raise ValueError("bad member")
        start = _skip(text, index + 1)
        _, end = decoder.raw_decode(text, start)
        members[key] = text[start:end]
        index = _skip(text, end)
        if text[index : index + 1] == "}":
            return members
        if text[index : index + 1] != ",":
            raise ValueError("bad separator")
        index = _skip(text, index + 1)


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


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
