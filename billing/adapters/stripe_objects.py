"""Stripe's objects, as plain dicts (the SDK's `to_dict()`), read into our
dataclasses. No SDK import here: billing.adapters.stripe makes the calls and
hands over what Stripe answered."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from billing.money import from_minor_units

from .base import (
    Address,
    CardSummary,
    InvoiceLine,
    Page,
    ProcessorCharge,
    ProcessorCustomer,
    ProcessorEvent,
    ProcessorInvoice,
    ProcessorRefund,
    ProcessorSetupIntent,
    ProcessorSubscription,
)

STATUSES = {
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "paused": "paused",
    "canceled": "canceled",
    "incomplete": "incomplete",
    "incomplete_expired": "canceled",
}


def id_of(value: Any) -> str:
    """The id of a field that is an id, an expanded object, or empty."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def time_of(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def money_of(value: Any, currency: str) -> Decimal:
    return from_minor_units(int(value or 0), currency)


def page_limit(limit: int) -> int:
    """Stripe pages hold 1 to 100 objects."""
    return max(1, min(int(limit), 100))


def page_of(result: dict[str, Any], build: Any) -> Page:
    data = result.get("data") or []
    items = [build(item) for item in data]
    more = bool(result.get("has_more")) and bool(data)
    return Page(items=items, next_cursor=str(data[-1]["id"]) if more else "")


def address_filled(address: Address) -> bool:
    return any(vars(address).values())


def customer_of(data: dict[str, Any]) -> ProcessorCustomer:
    raw = data.get("address")
    address = None
    if isinstance(raw, dict) and any(raw.values()):
        address = Address(
            line1=raw.get("line1") or "",
            line2=raw.get("line2") or "",
            city=raw.get("city") or "",
            postal_code=raw.get("postal_code") or "",
            state=raw.get("state") or "",
            country=raw.get("country") or "",
        )
    invoice_settings = data.get("invoice_settings") or {}
    return ProcessorCustomer(
        id=data["id"],
        email=data.get("email") or "",
        name=data.get("name") or "",
        address=address,
        default_payment_method_id=id_of(invoice_settings.get("default_payment_method")),
        livemode=bool(data.get("livemode")),
        created=time_of(data.get("created")),
    )


def card_of(method: dict[str, Any]) -> CardSummary:
    """The brand, last four and expiry of a PaymentMethod (or a legacy Card)."""
    card = method.get("card") if method.get("object") != "card" else method
    card = card if isinstance(card, dict) else {}
    return CardSummary(
        brand=str(card.get("brand") or "").lower(),
        last4=str(card.get("last4") or ""),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
        payment_method_id=str(method.get("id") or ""),
    )


def setup_intent_of(data: dict[str, Any]) -> ProcessorSetupIntent:
    error = data.get("last_setup_error") or {}
    return ProcessorSetupIntent(
        id=data["id"],
        client_secret=data.get("client_secret") or "",
        status=data.get("status") or "",
        customer_id=id_of(data.get("customer")),
        payment_method_id=id_of(data.get("payment_method")),
        error_message=str(error.get("message") or "") if isinstance(error, dict) else "",
    )


def subscription_of(data: dict[str, Any]) -> ProcessorSubscription:
    items = (data.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    plan = item.get("plan") or data.get("plan") or {}
    price = item.get("price") or {}
    product = price.get("product") or plan.get("product")
    currency = str(price.get("currency") or plan.get("currency") or "").upper()
    recurring = price.get("recurring") or {}
    unit = price.get("unit_amount") if price else plan.get("amount")
    quantity = item.get("quantity") or data.get("quantity") or 1
    status = STATUSES.get(str(data.get("status")), "incomplete")
    # Today's API keeps the billing period on the items; older versions (and
    # localstripe) on the subscription.
    period_end = time_of(item.get("current_period_end") or data.get("current_period_end"))
    trial_end = time_of(data.get("trial_end"))
    cancel_at_period_end = bool(data.get("cancel_at_period_end"))
    cancel_at = time_of(data.get("cancel_at"))
    next_payment = trial_end if status == "trialing" and trial_end else period_end
    if (
        status == "canceled"
        or cancel_at_period_end
        or (cancel_at and next_payment and cancel_at <= next_payment)
    ):
        next_payment = None
    # The card Stripe charges: the subscription's default, else the customer's.
    customer = data.get("customer")
    method = data.get("default_payment_method")
    if not method and isinstance(customer, dict):
        method = (customer.get("invoice_settings") or {}).get("default_payment_method")
    return ProcessorSubscription(
        id=data["id"],
        customer_id=id_of(customer),
        status=status,
        product=(
            str(product.get("name") or "")
            if isinstance(product, dict)
            else str(plan.get("nickname") or product or "")
        ),
        price_id=id_of(price) or id_of(plan),
        amount=money_of(unit * quantity, currency) if unit is not None and currency else None,
        currency=currency,
        interval=str(recurring.get("interval") or plan.get("interval") or "month"),
        interval_count=int(recurring.get("interval_count") or plan.get("interval_count") or 1),
        trial_end=trial_end,
        current_period_end=period_end,
        next_payment_at=next_payment,
        cancel_at_period_end=cancel_at_period_end,
        canceled_at=time_of(data.get("canceled_at")),
        default_payment_method_id=id_of(method),
        card=card_of(method) if isinstance(method, dict) else None,
        latest_invoice_id=id_of(data.get("latest_invoice")),
        livemode=bool(data.get("livemode")),
        created=time_of(data.get("created")),
    )


def invoice_of(data: dict[str, Any]) -> ProcessorInvoice:
    currency = str(data.get("currency") or "").upper()
    # Today's API: the subscription under `parent`, taxes in `total_taxes`;
    # older versions: `subscription` and `tax`.
    parent = (data.get("parent") or {}).get("subscription_details") or {}
    subscription = data.get("subscription") or parent.get("subscription")
    tax = data.get("tax")
    if tax is None:
        tax = sum(int(t.get("amount") or 0) for t in data.get("total_taxes") or [])
    lines = [
        InvoiceLine(
            description=str(line.get("description") or ""),
            quantity=int(line.get("quantity") or 1),
            amount=money_of(line.get("amount"), currency),
        )
        for line in (data.get("lines") or {}).get("data") or []
    ]
    return ProcessorInvoice(
        id=data["id"],
        customer_id=id_of(data.get("customer")),
        status=str(data.get("status") or ""),
        currency=currency,
        total=money_of(data.get("total"), currency),
        amount_paid=money_of(data.get("amount_paid"), currency),
        amount_due=money_of(data.get("amount_due"), currency),
        tax=money_of(tax, currency),
        number=str(data.get("number") or ""),
        subscription_id=id_of(subscription),
        charge_id=id_of(data.get("charge")),
        created=time_of(data.get("created")),
        paid_at=time_of((data.get("status_transitions") or {}).get("paid_at")),
        lines=lines,
        livemode=bool(data.get("livemode")),
    )


def charge_of(data: dict[str, Any]) -> ProcessorCharge:
    currency = str(data.get("currency") or "").upper()
    details = (data.get("payment_method_details") or {}).get("card")
    refunds = data.get("refunds")
    refund_rows = refunds.get("data") or [] if isinstance(refunds, dict) else []
    return ProcessorCharge(
        id=data["id"],
        amount=money_of(data.get("amount"), currency),
        currency=currency,
        status=str(data.get("status") or ""),
        amount_refunded=money_of(data.get("amount_refunded"), currency),
        customer_id=id_of(data.get("customer")),
        invoice_id=id_of(data.get("invoice")),
        created=time_of(data.get("created")),
        failure_message=str(data.get("failure_message") or ""),
        card=(
            card_of({"card": details, "id": id_of(data.get("payment_method"))})
            if isinstance(details, dict)
            else None
        ),
        refunds=[refund_of(refund, currency) for refund in refund_rows],
        livemode=bool(data.get("livemode")),
    )


def refund_of(refund: dict[str, Any], currency: str) -> ProcessorRefund:
    currency = str(refund.get("currency") or currency).upper()
    return ProcessorRefund(
        id=refund["id"],
        amount=money_of(refund.get("amount"), currency),
        currency=currency,
        status=str(refund.get("status") or ""),
        reason=str(refund.get("reason") or ""),
        created=time_of(refund.get("created")),
    )


def event_of(data: dict[str, Any]) -> ProcessorEvent:
    obj = (data.get("data") or {}).get("object") or {}
    return ProcessorEvent(
        id=str(data.get("id") or ""),
        type=str(data.get("type") or ""),
        created=time_of(data.get("created")),
        livemode=bool(data.get("livemode")),
        object_id=str(obj.get("id") or "") if isinstance(obj, dict) else "",
        object_type=str(obj.get("object") or "") if isinstance(obj, dict) else "",
        data=obj if isinstance(obj, dict) else {},
    )
