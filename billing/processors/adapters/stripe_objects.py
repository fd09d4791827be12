"""Stripe's objects, as plain dicts (the SDK's `to_dict()`), read into our
dataclasses. No SDK import here: billing.processors.adapters.stripe makes the calls and
hands over what Stripe answered."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from billing.money import currency_exponent, from_minor_units

from .base import (
    Address,
    CardSummary,
    ChargedDiscount,
    ChargedTax,
    InvoiceLine,
    Page,
    ProcessorCharge,
    ProcessorCustomer,
    ProcessorEvent,
    ProcessorInvoice,
    ProcessorRefund,
    ProcessorSetupIntent,
    ProcessorSubscription,
    ProcessorTaxId,
)

# Every field path the Stripe readers use, per object, in Stripe's expand
# notation (a list's items are under `data`). A contract test checks each
# against the pinned SDK's typed resources (stripe-python 16.1, API
# 2026-10-28) and checks that the readers read nothing else: a field Stripe
# removed, or a misspelt one, fails the suite instead of reading as empty.
_CARD = ("object", "id", "card.brand", "card.last4", "card.exp_month", "card.exp_year")
_PLAN = (
    "id",
    "product",
    "product.id",
    "product.name",
    "currency",
    "amount",
    "interval",
    "interval_count",
)
_PRICE = (
    "id",
    "product",
    "product.id",
    "product.name",
    "currency",
    "unit_amount",
    "recurring.interval",
    "recurring.interval_count",
)
_REFUND = ("id", "amount", "currency", "status", "reason", "created")
# A discount names its coupon under `source` (API 2025-09-30: `coupon` moved there).
_DISCOUNT = ("id", "source.coupon", "source.coupon.id", "source.coupon.name")
_TAX_RATE = (
    "id",
    "display_name",
    "percentage",
    "inclusive",
    "country",
    "state",
    "jurisdiction",
    "tax_type",
)
# A line's or the invoice's taxes (API 2025-03-31: `taxes` / `total_taxes`
# replaced `tax_amounts` / `total_tax_amounts`).
_TAX = (
    "amount",
    "tax_behavior",
    "taxability_reason",
    "taxable_amount",
    # An id only (not expandable): the adapter reads each rate once.
    "tax_rate_details.tax_rate",
)
FIELDS: dict[str, tuple[str, ...]] = {
    "Customer": (
        "id",
        "email",
        "name",
        *(f"address.{f}" for f in ("line1", "line2", "city", "postal_code", "state", "country")),
        "invoice_settings.default_payment_method",
        "livemode",
        "created",
    ),
    "PaymentMethod": (*_CARD, "customer"),
    "SetupIntent": (
        "id",
        "client_secret",
        "status",
        "customer",
        "payment_method",
        "last_setup_error.message",
    ),
    "Subscription": (
        "id",
        "status",
        "customer",
        "customer.id",
        *(f"customer.invoice_settings.default_payment_method.{f}" for f in _CARD),
        "default_payment_method",
        *(f"default_payment_method.{f}" for f in _CARD),
        "items.data.quantity",
        "items.data.current_period_end",
        *(f"items.data.plan.{f}" for f in _PLAN),
        *(f"items.data.price.{f}" for f in _PRICE),
        "trial_end",
        "cancel_at_period_end",
        "cancel_at",
        "canceled_at",
        "latest_invoice",
        "livemode",
        "created",
    ),
    "Invoice": (
        "id",
        "customer",
        "status",
        "currency",
        "total",
        "amount_paid",
        "amount_due",
        "total_taxes.amount",
        "number",
        "hosted_invoice_url",
        "parent.subscription_details.subscription",
        "payments.data.status",
        "payments.data.is_default",
        "payments.data.payment.type",
        "payments.data.payment.charge",
        "payments.data.payment.payment_intent",
        "payments.data.payment.payment_intent.id",
        "payments.data.payment.payment_intent.latest_charge",
        "payments.data.payment.payment_intent.latest_charge.id",
        # The embedded first page of lines, and where the next page starts
        # (StripeAdapter._invoice_all_lines reads the rest).
        "lines.has_more",
        "lines.data.id",
        "lines.data.description",
        "lines.data.quantity",
        "lines.data.amount",
        "lines.data.period.start",
        "lines.data.period.end",
        "lines.data.parent.subscription_item_details.proration",
        "lines.data.parent.invoice_item_details.proration",
        "lines.data.pricing.unit_amount_decimal",
        "lines.data.discounts",
        *(f"lines.data.discounts.{f}" for f in _DISCOUNT),
        "lines.data.discount_amounts.amount",
        "lines.data.discount_amounts.discount",
        *(f"lines.data.discount_amounts.discount.{f}" for f in _DISCOUNT),
        *(f"lines.data.taxes.{f}" for f in _TAX),
        "subtotal",
        "discounts",
        *(f"discounts.{f}" for f in _DISCOUNT),
        "total_discount_amounts.amount",
        "total_discount_amounts.discount",
        *(f"total_discount_amounts.discount.{f}" for f in _DISCOUNT),
        *(f"total_taxes.{f}" for f in _TAX),
        "customer_tax_ids.type",
        "customer_tax_ids.value",
        "customer_tax_exempt",
        "created",
        "status_transitions.paid_at",
        "livemode",
    ),
    "InvoicePayment": ("invoice",),
    "PaymentIntent": ("latest_charge", "latest_charge.id"),
    "Charge": (
        "id",
        "amount",
        "currency",
        "status",
        "amount_refunded",
        "customer",
        "payment_intent",
        "payment_method",
        *(f"payment_method_details.card.{f}" for f in ("brand", "last4", "exp_month", "exp_year")),
        "failure_message",
        *(f"refunds.data.{f}" for f in _REFUND),
        "created",
        "livemode",
    ),
    "Refund": _REFUND,
    "TaxRate": _TAX_RATE,
    "Coupon": ("id", "name"),
    "TaxId": ("id", "type", "value", "verification.status"),
    "Product": ("name",),
    "Balance": ("livemode",),
    "WebhookEndpoint": ("id", "url", "enabled_events", "status"),
    "Event": ("id", "type", "created", "livemode", "data.object.id", "data.object.object"),
}

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


def tax_id_of(data: dict[str, Any]) -> ProcessorTaxId:
    """A customer tax ID (https://docs.stripe.com/api/tax_ids/object)."""
    verification = data.get("verification") or {}
    return ProcessorTaxId(
        id=data["id"],
        type=data.get("type") or "",
        value=data.get("value") or "",
        verification=verification.get("status") or "",
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
    plan = item.get("plan") or {}
    price = item.get("price") or {}
    # Stripe's items carry both: the price names the product by id, the plan
    # we expand holds it whole. The expanded one gives the name without a
    # read of its own (one per subscription read on a renewal day).
    named = [p for p in (price.get("product"), plan.get("product")) if p]
    product = next((p for p in named if isinstance(p, dict)), named[0] if named else None)
    currency = str(price.get("currency") or plan.get("currency") or "").upper()
    recurring = price.get("recurring") or {}
    unit = price.get("unit_amount") if price else plan.get("amount")
    quantity = item.get("quantity") or 1
    status = STATUSES.get(str(data.get("status")), "incomplete")
    # The billing period is on the items since API 2025-03-31.
    period_end = time_of(item.get("current_period_end"))
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
        # The product's name when expanded; else the adapter looks it up by
        # `product_id` (a plan's nickname is the vendor's internal label).
        product=str(product.get("name") or "") if isinstance(product, dict) else "",
        product_id=id_of(product),
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


def invoice_payment_of(data: dict[str, Any]) -> tuple[str, str]:
    """(payment intent id, charge id) of the payment that settled an invoice,
    from its InvoicePayment list (API 2025-03-31): the paid one, else the
    default one (an open invoice's attempt). The charge id is known when the
    payment intent was expanded (its `latest_charge`) or the payment is a
    bare charge; else it is empty and the adapter reads the payment intent."""
    payments = (data.get("payments") or {}).get("data") or []
    chosen = next((p for p in payments if p.get("status") == "paid"), None)
    if chosen is None:
        chosen = next((p for p in payments if p.get("is_default")), None)
    if chosen is None:
        return "", ""
    payment = chosen.get("payment") or {}
    if payment.get("type") == "charge":
        return "", id_of(payment.get("charge"))
    intent = payment.get("payment_intent")
    charge = intent.get("latest_charge") if isinstance(intent, dict) else None
    return id_of(intent), id_of(charge)


def _percent(value: Any) -> Decimal | None:
    """Stripe's percentage (a JSON number, 19 or 7.25) as a Decimal ("19", "7.25")."""
    if value is None or value == "":
        return None
    return Decimal(str(value)).normalize() + 0


def tax_label(rate: dict[str, Any], percent: Decimal | None) -> str:
    """The jurisdiction's name for a tax as the seller set it at Stripe:
    "USt. 19 %" for a rate (its display name and percentage), "Sales Tax (OR)"
    for a US sales tax, which is stated by state rather than by rate."""
    name = str(rate.get("display_name") or "").strip()
    place = str(rate.get("state") or rate.get("jurisdiction") or "").strip()
    if rate.get("tax_type") == "sales_tax" or (rate.get("country") == "US" and place):
        return f"{name or 'Sales Tax'} ({place})" if place else (name or "Sales Tax")
    if percent is None:
        return name
    return f"{name} {percent:f} %".strip()


def _objects_by_id(*candidates: Any) -> dict[str, dict[str, Any]]:
    return {str(c["id"]): c for c in candidates if isinstance(c, dict) and c.get("id")}


def invoice_references(data: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The tax rate ids and coupon ids an invoice names without their objects
    (a tax's rate is never expandable; a coupon is five levels down a line):
    the adapter reads each once and hands them to invoice_of."""
    lines = (data.get("lines") or {}).get("data") or []
    taxes = [*(data.get("total_taxes") or []), *(t for li in lines for t in li.get("taxes") or [])]
    rates = {
        str(rate) for tax in taxes if (rate := (tax.get("tax_rate_details") or {}).get("tax_rate"))
    }
    discounts = [
        *(data.get("discounts") or []),
        *(d for li in lines for d in li.get("discounts") or []),
        *(d.get("discount") for d in data.get("total_discount_amounts") or []),
        *(d.get("discount") for li in lines for d in li.get("discount_amounts") or []),
    ]
    coupons = {
        str(coupon)
        for d in discounts
        if isinstance(d, dict)
        and isinstance(coupon := (d.get("source") or {}).get("coupon"), str)
        and coupon
    }
    return rates, coupons


def _tax_of(tax: dict[str, Any], currency: str, rates: dict[str, dict[str, Any]]) -> ChargedTax:
    rate = rates.get(str((tax.get("tax_rate_details") or {}).get("tax_rate") or ""), {})
    percent = _percent(rate.get("percentage"))
    taxable = tax.get("taxable_amount")
    return ChargedTax(
        rate=percent,
        label=tax_label(rate, percent),
        taxable_amount=money_of(taxable, currency) if taxable is not None else None,
        amount=money_of(tax.get("amount"), currency),
        inclusive=tax.get("tax_behavior") == "inclusive",
        country=str(rate.get("country") or ""),
        state=str(rate.get("state") or ""),
        taxability_reason=str(tax.get("taxability_reason") or ""),
        tax_type=str(rate.get("tax_type") or ""),
    )


def _discount_name(ref: Any, discounts: dict[str, dict[str, Any]], coupons: dict) -> str:
    discount = ref if isinstance(ref, dict) else discounts.get(str(ref or ""), {})
    coupon = (discount.get("source") or {}).get("coupon")
    if not isinstance(coupon, dict):
        coupon = coupons.get(str(coupon or ""), {})
    return str(coupon.get("name") or coupon.get("id") or "")


def _line_of(
    line: dict[str, Any], currency: str, rates: dict, discounts: dict, coupons: dict
) -> InvoiceLine:
    quantity = int(line.get("quantity") or 1)
    amount = money_of(line.get("amount"), currency)
    unit = (line.get("pricing") or {}).get("unit_amount_decimal")
    period = line.get("period") or {}
    parent = line.get("parent") or {}
    details = parent.get("subscription_item_details") or parent.get("invoice_item_details") or {}
    return InvoiceLine(
        description=str(line.get("description") or ""),
        quantity=quantity,
        amount=amount,
        # Stripe's unit price may carry fractions of a cent (unit_amount_decimal).
        unit_amount=(
            Decimal(str(unit)).scaleb(-currency_exponent(currency)).normalize() + 0
            if unit not in (None, "") and currency
            else None
        ),
        period_start=time_of(period.get("start")),
        period_end=time_of(period.get("end")),
        proration=bool(details.get("proration")),
        discounts=[
            ChargedDiscount(
                name=_discount_name(d.get("discount"), discounts, coupons),
                amount=money_of(d.get("amount"), currency),
            )
            for d in line.get("discount_amounts") or []
            if d.get("amount")
        ],
        taxes=[_tax_of(t, currency, rates) for t in line.get("taxes") or []],
    )


def invoice_of(
    data: dict[str, Any],
    tax_rates: dict[str, dict[str, Any]] | None = None,
    coupons: dict[str, dict[str, Any]] | None = None,
) -> ProcessorInvoice:
    """A Stripe invoice as charged. `tax_rates` and `coupons` (by id) are the
    objects the invoice names by id only (invoice_references)."""
    currency = str(data.get("currency") or "").upper()
    # API 2025-03-31: the subscription is under `parent`, taxes in
    # `total_taxes`, the payments in `payments`.
    parent = (data.get("parent") or {}).get("subscription_details") or {}
    subscription = parent.get("subscription")
    total_taxes = data.get("total_taxes") or []
    tax = sum(int(t.get("amount") or 0) for t in total_taxes)
    payment_intent_id, charge_id = invoice_payment_of(data)
    rows = (data.get("lines") or {}).get("data") or []
    rates = tax_rates or {}
    discounts = _objects_by_id(
        *(data.get("discounts") or []),
        *(d for row in rows for d in row.get("discounts") or []),
        *(d.get("discount") for d in data.get("total_discount_amounts") or []),
        *(d.get("discount") for row in rows for d in row.get("discount_amounts") or []),
    )
    coupons = dict(coupons or {})
    lines = [_line_of(row, currency, rates, discounts, coupons) for row in rows]
    subtotal = data.get("subtotal")
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
        charge_id=charge_id,
        payment_intent_id=payment_intent_id,
        hosted_invoice_url=str(data.get("hosted_invoice_url") or ""),
        created=time_of(data.get("created")),
        paid_at=time_of((data.get("status_transitions") or {}).get("paid_at")),
        lines=lines,
        livemode=bool(data.get("livemode")),
        subtotal=money_of(subtotal, currency) if subtotal is not None else None,
        discounts=[
            ChargedDiscount(
                name=_discount_name(d.get("discount"), discounts, coupons),
                amount=money_of(d.get("amount"), currency),
            )
            for d in data.get("total_discount_amounts") or []
            if d.get("amount")
        ],
        taxes=[_tax_of(t, currency, rates) for t in total_taxes],
        customer_tax_ids=[
            (str(t.get("type") or ""), str(t.get("value") or ""))
            for t in data.get("customer_tax_ids") or []
            if t.get("value")
        ],
        customer_tax_exempt=str(data.get("customer_tax_exempt") or ""),
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
        payment_intent_id=id_of(data.get("payment_intent")),
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
