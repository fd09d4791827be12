"""The renewals of one vendor and the Stripe objects behind them.

Everything is derived from a renewal's index, so the processor fake (which
answers reads) and the driver (which seeds the database and signs the events)
agree without sharing state, and the fake holds no per-object memory: 20,000
renewals cost nothing until they are read. The shapes are those of Stripe
API 2026-10-28 (stripe-python 16.1's pinned version), the fields the hub's
readers use (billing/processors/adapters/stripe_objects.py, FIELDS) and the
ones around them: since 2025-03-31 an invoice names its subscription under
`parent.subscription_details` and its payment through InvoicePayment objects
(`payments`, included only when expanded), a charge no longer names its
invoice, and the billing period is on the subscription's items.
"""

from __future__ import annotations

import re
import time
from typing import Any

API_VERSION = "2026-10-28.endive"
AMOUNT = 1900  # minor units: 19.00 USD a month
CURRENCY = "usd"
PRODUCT_ID = "prod_stormpro"
PRODUCT_NAME = "Pro plan"
PRICE_ID = "price_stormpro"
FAILING_PER_MILLE = 30  # about 3% of renewals: the card is declined
ID = re.compile(r"^(cus|sub|si|in|inpay|pi|ch|pm)_storm(\d{7})$")
PERIOD = 30 * 24 * 3600


def failing(index: int) -> bool:
    """Whether renewal `index`'s card is declined (the same in every process)."""
    return (index * 2654435761 + 12345) % 1000 < FAILING_PER_MILLE


def object_id(prefix: str, index: int) -> str:
    return f"{prefix}_storm{index:07d}"


def index_of(stripe_id: str) -> tuple[str, int] | None:
    """(prefix, renewal index) of one of our ids, or None."""
    found = ID.match(stripe_id)
    return (found.group(1), int(found.group(2))) if found else None


def email(index: int) -> str:
    return f"renewal-{index}@storm.example"


class World:
    """The objects of `renewals` renewals, as Stripe holds them once the
    renewal is over (invoice paid or its payment failed): the hub re-reads
    objects after the events arrive, and by then Stripe has moved on."""

    def __init__(self, *, renewals: int, renewed_at: int | None = None) -> None:
        self.renewals = renewals
        # The moment the new period started: Stripe drafts the renewal
        # invoice then and finalizes and charges it about an hour later,
        # which is when the storm's events arrive (now).
        self.renewed_at = renewed_at or int(time.time()) - 3600

    def exists(self, index: int) -> bool:
        return 0 <= index < self.renewals

    # --- objects -------------------------------------------------------------------

    def product(self) -> dict[str, Any]:
        return {
            "id": PRODUCT_ID,
            "object": "product",
            "active": True,
            "name": PRODUCT_NAME,
            "livemode": False,
            "created": self.renewed_at - 900 * 86400,
        }

    def plan(self) -> dict[str, Any]:
        return {
            "id": PRICE_ID,
            "object": "plan",
            "active": True,
            "amount": AMOUNT,
            "currency": CURRENCY,
            "interval": "month",
            "interval_count": 1,
            "nickname": None,
            "product": PRODUCT_ID,
            "livemode": False,
        }

    def price(self) -> dict[str, Any]:
        return {
            "id": PRICE_ID,
            "object": "price",
            "active": True,
            "currency": CURRENCY,
            "unit_amount": AMOUNT,
            "recurring": {"interval": "month", "interval_count": 1},
            "product": PRODUCT_ID,
            "type": "recurring",
            "livemode": False,
        }

    def payment_method(self, index: int) -> dict[str, Any]:
        return {
            "id": object_id("pm", index),
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
            "customer": object_id("cus", index),
            "livemode": False,
            "created": self.renewed_at - 800 * 86400,
        }

    def customer(self, index: int) -> dict[str, Any]:
        return {
            "id": object_id("cus", index),
            "object": "customer",
            "email": email(index),
            "name": f"Renewal Customer {index}",
            "address": {
                "line1": "1 Loop Road",
                "line2": None,
                "city": "Localhost",
                "postal_code": "1000",
                "state": None,
                "country": "US",
            },
            "invoice_settings": {"default_payment_method": object_id("pm", index)},
            "livemode": False,
            "created": self.renewed_at - 800 * 86400,
        }

    def subscription(self, index: int) -> dict[str, Any]:
        start = self.renewed_at
        return {
            "id": object_id("sub", index),
            "object": "subscription",
            "customer": object_id("cus", index),
            "status": "past_due" if failing(index) else "active",
            "default_payment_method": None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": object_id("si", index),
                        "object": "subscription_item",
                        "quantity": 1,
                        "current_period_start": start,
                        "current_period_end": start + PERIOD,
                        "plan": self.plan(),
                        "price": self.price(),
                    }
                ],
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={object_id('sub', index)}",
            },
            "trial_end": None,
            "cancel_at_period_end": False,
            "cancel_at": None,
            "canceled_at": None,
            "latest_invoice": object_id("in", index),
            "livemode": False,
            "created": self.renewed_at - 800 * 86400,
        }

    def invoice(self, index: int, *, status: str = "", with_payments: bool = False) -> dict:
        """The renewal invoice; `status` for a snapshot in an event body
        (draft, open), else its final state."""
        failed = failing(index)
        status = status or ("open" if failed else "paid")
        paid = status == "paid"
        invoice: dict[str, Any] = {
            "id": object_id("in", index),
            "object": "invoice",
            "customer": object_id("cus", index),
            "status": status,
            "currency": CURRENCY,
            "total": AMOUNT,
            "subtotal": AMOUNT,
            "amount_due": AMOUNT,
            "amount_paid": AMOUNT if paid else 0,
            "amount_remaining": 0 if paid else AMOUNT,
            "total_taxes": [],
            "number": None if status == "draft" else f"STORM-{index + 1:07d}",
            "hosted_invoice_url": None
            if status == "draft"
            else f"https://invoice.stripe.com/i/storm/{index}",
            "billing_reason": "subscription_cycle",
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": {},
                    "subscription": object_id("sub", index),
                },
            },
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": f"il_storm{index:07d}",
                        "object": "line_item",
                        "description": f"1 × {PRODUCT_NAME} (at $19.00 / month)",
                        "quantity": 1,
                        "amount": AMOUNT,
                        "currency": CURRENCY,
                    }
                ],
                "has_more": False,
                "url": f"/v1/invoices/{object_id('in', index)}/lines",
            },
            "created": self.renewed_at,
            "status_transitions": {
                "finalized_at": None if status == "draft" else self.renewed_at + 3600,
                "paid_at": self.renewed_at + 3600 if paid else None,
            },
            "livemode": False,
        }
        if with_payments:
            invoice["payments"] = {
                "object": "list",
                "data": [] if status == "draft" else [self.invoice_payment(index, status)],
                "has_more": False,
                "url": "/v1/invoice_payments",
            }
        return invoice

    def invoice_payment(self, index: int, invoice_status: str = "") -> dict[str, Any]:
        paid = (invoice_status or ("open" if failing(index) else "paid")) == "paid"
        return {
            "id": object_id("inpay", index),
            "object": "invoice_payment",
            "invoice": object_id("in", index),
            "amount_paid": AMOUNT if paid else None,
            "amount_requested": AMOUNT,
            "currency": CURRENCY,
            "is_default": True,
            "status": "paid" if paid else "open",
            "payment": {"type": "payment_intent", "payment_intent": object_id("pi", index)},
            "livemode": False,
            "created": self.renewed_at,
        }

    def payment_intent(self, index: int) -> dict[str, Any]:
        failed = failing(index)
        return {
            "id": object_id("pi", index),
            "object": "payment_intent",
            "amount": AMOUNT,
            "currency": CURRENCY,
            "customer": object_id("cus", index),
            "latest_charge": object_id("ch", index),
            "payment_method": object_id("pm", index),
            "status": "requires_payment_method" if failed else "succeeded",
            "livemode": False,
            "created": self.renewed_at + 3600,
        }

    def charge(self, index: int, *, with_refunds: bool = False) -> dict[str, Any]:
        failed = failing(index)
        charge: dict[str, Any] = {
            "id": object_id("ch", index),
            "object": "charge",
            "amount": AMOUNT,
            "amount_captured": 0 if failed else AMOUNT,
            "amount_refunded": 0,
            "currency": CURRENCY,
            "customer": object_id("cus", index),
            "payment_intent": object_id("pi", index),
            "payment_method": object_id("pm", index),
            "payment_method_details": {
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
            },
            "paid": not failed,
            "status": "failed" if failed else "succeeded",
            "failure_code": "card_declined" if failed else None,
            "failure_message": "Your card was declined." if failed else None,
            "refunded": False,
            "created": self.renewed_at + 3600,
            "livemode": False,
        }
        if with_refunds:
            charge["refunds"] = {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/charges/{object_id('ch', index)}/refunds",
            }
        return charge

    def get(self, stripe_id: str) -> dict[str, Any] | None:
        """Any object by id (expansion resolves through here), or None."""
        if stripe_id == PRODUCT_ID:
            return self.product()
        if stripe_id == PRICE_ID:
            return self.price()
        parsed = index_of(stripe_id)
        if parsed is None or not self.exists(parsed[1]):
            return None
        prefix, index = parsed
        build = {
            "cus": self.customer,
            "sub": self.subscription,
            "in": self.invoice,
            "inpay": self.invoice_payment,
            "pi": self.payment_intent,
            "ch": self.charge,
            "pm": self.payment_method,
        }.get(prefix)
        return build(index) if build else None

    # --- the renewal's events --------------------------------------------------------

    def events(self, index: int) -> list[tuple[str, dict[str, Any]]]:
        """(type, data.object) in the order Stripe sends them for a renewal."""
        if failing(index):
            return [
                ("invoice.created", self.invoice(index, status="draft")),
                ("invoice.finalized", self.invoice(index, status="open")),
                ("charge.failed", self.charge(index)),
                ("invoice.payment_failed", self.invoice(index, status="open")),
                ("customer.subscription.updated", self.subscription(index)),
            ]
        return [
            ("invoice.created", self.invoice(index, status="draft")),
            ("invoice.finalized", self.invoice(index, status="open")),
            ("invoice.paid", self.invoice(index, status="paid")),
            ("charge.succeeded", self.charge(index)),
            ("customer.subscription.updated", self.subscription(index)),
        ]


def expand(obj: dict[str, Any], path: str, resolve) -> None:
    """Stripe's `expand[]`: replace the id at `path` (dots; `data` walks a
    list's items) with the object `resolve(id)` returns, in place."""
    parts = path.split(".")

    def walk(node: Any, rest: list[str]) -> None:
        if not rest or not isinstance(node, dict):
            return
        key, tail = rest[0], rest[1:]
        value = node.get(key)
        if key == "data" and isinstance(value, list):
            for item in value:
                walk(item, tail)
            return
        if isinstance(value, str):
            found = resolve(value)
            if found is None:
                return
            node[key] = value = found
        walk(value, tail)

    walk(obj, parts)
