"""The demo's purchases as Stripe charged them (issue 25): acme's 19 % VAT
and its reverse-charge business customer in Austria, and the demo vendor's
US sales tax and coupon. (A module of seed_demo; the leading underscore keeps
Django from taking it for a command.)

With the fakes running (`make demo`: settings.STRIPE_API_BASE), the vendor
makes each purchase at its (fake) Stripe account as it would at Stripe: the
customer with address, tax ID and tax status, the tax rate, the coupon, an
invoice item, the invoice, finalized and paid by card. The hub then reads the
invoice and records it exactly as an `invoice.paid` webhook does
(billing.processors.stripe_events: the invoice and its charge read through
the adapter, recorded by stripe_sync.stripe_invoice_record), so the demo's
invoices come out of the same reader and sync as production's.

Without the fakes (a plain `seed_demo`, as the browser checks and most
tests run it) there is no Stripe to ask: the same four purchases are then
Stripe invoices recorded at API 2026-10-28 (demo_stripe_invoices.json),
moved to today and fed to the same reader (stripe_objects.invoice_of) and
sync, so every demo still shows them. With the fakes, nothing of these
purchases comes from the recording: the fake holds all of it
(tests/support/localstripe_patches.py, "taxes and discounts"; what it does
not hold, line-level discounts, the demo does not use).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from billing.models import Customer
from billing.processors.adapters import stripe_adapter_for
from billing.processors.adapters.base import (
    Address,
    CardSummary,
    ProcessorCharge,
    ProcessorError,
)
from billing.processors.adapters.stripe_objects import invoice_of
from billing.processors.stripe_sync import stripe_invoice_record
from billing.services import customer_get_or_create
from billing.tax_ids import customer_tax_id_push
from vendors.models import Vendor

# The customers, as the hub knows them. `tax_exempt` is what the vendor
# sets at Stripe for a business that accounts for the VAT itself.
DEMO_CHARGED_CUSTOMERS: dict[str, dict[str, str]] = {
    "kim@example.com": {
        "name": "Kim Wagner",
        "address_line1": "Leopoldstraße 12",
        "city": "München",
        "postal_code": "80802",
        "country": "DE",
    },
    "einkauf@beispiel-handel.example": {
        "name": "Lena Huber",
        "company": "Beispiel Handels GmbH",
        "tax_id": "ATU13585627",
        "tax_id_type": "eu_vat",
        "tax_exempt": "reverse",
        "address_line1": "Mariahilfer Straße 45",
        "city": "Wien",
        "postal_code": "1060",
        "country": "AT",
    },
    "gale@example.com": {
        "name": "Gale Rivera",
        "address_line1": "800 Congress Avenue",
        "city": "Austin",
        "state": "TX",
        "postal_code": "78701",
        "country": "US",
    },
}

# The vendors' tax rates at Stripe (https://docs.stripe.com/api/tax_rates/create).
# Stripe applies no rate by itself: acme bills its reverse-charge customers
# with a 0 % rate, and Stripe states the tax as reverse charge because the
# customer is `tax_exempt=reverse`.
DEMO_TAX_RATES: dict[str, dict[str, str]] = {
    "acme-de-19": {
        "display_name": "USt.",
        "description": "Umsatzsteuer",
        "percentage": "19",
        "inclusive": "false",
        "country": "DE",
        "jurisdiction": "DE",
        "tax_type": "vat",
    },
    "acme-eu-reverse": {
        "display_name": "USt.",
        "description": "Reverse charge (B2B, EU)",
        "percentage": "0",
        "inclusive": "false",
        "country": "AT",
        "jurisdiction": "AT",
        "tax_type": "vat",
    },
    "demo-tx": {
        "display_name": "Sales Tax",
        "description": "Texas state and local sales tax",
        "percentage": "8.25",
        "inclusive": "false",
        "country": "US",
        "state": "TX",
        "jurisdiction": "TX",
        "tax_type": "sales_tax",
    },
}
DEMO_COUPONS: dict[str, dict[str, str]] = {
    "LAUNCH50": {
        "name": "Launch offer",
        "amount_off": "5000",
        "currency": "usd",
        "duration": "once",
    },
}
# Each vendor's purchases, oldest first: amounts in minor units, a service
# period in months where the purchase has one.
DEMO_CHARGES: dict[str, list[dict[str, Any]]] = {
    "acme": [
        {
            "customer": "kim@example.com",
            "description": "Acme Cloud Backup (monatlich)",
            "amount": 990,
            "months": 1,
            "tax_rate": "acme-de-19",
        },
        {
            "customer": "einkauf@beispiel-handel.example",
            "description": "Acme Sync Team-Lizenz (jährlich)",
            "amount": 49000,
            "months": 12,
            "tax_rate": "acme-eu-reverse",
        },
    ],
    "demo": [
        {
            "customer": "gale@example.com",
            "description": "Data Science Bootcamp",
            "amount": 19900,
            "tax_rate": "demo-tx",
        },
        {
            "customer": "gale@example.com",
            "description": "All-Access Pass (12 months)",
            "amount": 29000,
            "months": 12,
            "tax_rate": "demo-tx",
            "coupon": "LAUNCH50",
        },
    ],
}


def demo_charged_customers(vendor: Vendor) -> dict[str, Customer]:
    """The vendor's demo customers of these purchases who have none yet
    (seeded once: a customer who already has purchases gets none added)."""
    fresh = {}
    for email in dict.fromkeys(charge["customer"] for charge in DEMO_CHARGES[vendor.slug]):
        details = {
            key: value
            for key, value in DEMO_CHARGED_CUSTOMERS[email].items()
            if key not in ("tax_id", "tax_id_type", "tax_exempt")
        }
        customer, _ = customer_get_or_create(vendor=vendor, email=email, **details)
        if not customer.orders.exists():
            fresh[email] = customer
    return fresh


# --- at the fake Stripe -------------------------------------------------------------


def _key(what: str) -> str:
    return f"demo-{what}-{uuid.uuid4()}"


def _stripe_post(vendor: Vendor, path: str, data: dict[str, Any], *, exists_ok=False) -> dict:
    """A call the hub never makes (a vendor makes it in Stripe's dashboard
    or its own code: tax rates, coupons, invoices), asked of Stripe's API
    directly, as stripe_renewal_decline does. `exists_ok`: an object the
    fake still holds from an earlier seed (409) is fine."""
    import requests

    response = requests.post(
        f"{settings.STRIPE_API_BASE}{path}",
        data=data,
        auth=(vendor.stripe_secret_key, ""),
        timeout=10,
    )
    if exists_ok and response.status_code == 409:
        return {}
    if not response.ok:
        raise CommandError(f"The local Stripe fake refused {path}: {response.text}")
    return response.json()


def _stripe_customer(vendor: Vendor, adapter, customer: Customer) -> CardSummary:
    """The customer at Stripe, as the hub pushes them (address through the
    adapter, the tax ID as "Update my info" does), plus the tax status the
    vendor sets; a visa card as their default. Returns the card."""
    details = DEMO_CHARGED_CUSTOMERS[customer.email]
    remote = adapter.customer_create(
        email=customer.email,
        name=customer.name,
        address=Address(
            line1=customer.address_line1,
            line2=customer.address_line2,
            city=customer.city,
            postal_code=customer.postal_code,
            state=customer.state,
            country=customer.country,
        ),
        idempotency_key=_key("customer"),
    )
    customer.stripe_customer_id = remote.id
    customer.save(update_fields=["stripe_customer_id", "updated_at"])
    if details.get("tax_id"):
        fields = customer_tax_id_push(
            customer=customer, tax_id=details["tax_id"], tax_id_type=details["tax_id_type"]
        )
        for name, value in fields.items():
            setattr(customer, name, value)
        customer.save(update_fields=[*fields, "updated_at"])
    if details.get("tax_exempt"):
        _stripe_post(vendor, f"/v1/customers/{remote.id}", {"tax_exempt": details["tax_exempt"]})
    return adapter.payment_method_attach_default(
        customer_id=remote.id, payment_method_id="pm_card_visa", idempotency_key=_key("pm")
    )


def _period(now: datetime, months: int) -> dict[str, int]:
    from .seed_demo import add_months

    return {
        "period[start]": int(now.timestamp()),
        "period[end]": int(add_months(now, months).timestamp()),
    }


def demo_charges_at_stripe(vendor: Vendor, now: datetime) -> None:
    """Make the vendor's demo purchases at its (fake) Stripe account and
    record each as the hub records an `invoice.paid` webhook's invoice."""
    fresh = demo_charged_customers(vendor)
    if not fresh:
        return
    adapter = stripe_adapter_for(vendor=vendor)
    currency = vendor.default_currency.lower()
    try:
        for fresh_customer in fresh.values():
            _stripe_customer(vendor, adapter, fresh_customer)
        rates: dict[str, str] = {}
        for charge in DEMO_CHARGES[vendor.slug]:
            customer = fresh.get(charge["customer"])
            if customer is None:
                continue
            name = charge["tax_rate"]
            if name not in rates:
                rates[name] = _stripe_post(vendor, "/v1/tax_rates", DEMO_TAX_RATES[name])["id"]
            invoice: dict[str, Any] = {
                "customer": customer.stripe_customer_id,
                # API 2022-08-01: an invoice takes pending items only when asked.
                "pending_invoice_items_behavior": "include",
                "default_tax_rates[0]": rates[name],
            }
            if coupon := charge.get("coupon"):
                _stripe_post(vendor, "/v1/coupons", {"id": coupon, **DEMO_COUPONS[coupon]},
                             exists_ok=True)  # fmt: skip
                invoice["discounts[0][coupon]"] = coupon
            item = {
                "customer": customer.stripe_customer_id,
                "amount": charge["amount"],
                "currency": currency,
                "description": charge["description"],
            }
            if charge.get("months"):
                item |= _period(now, charge["months"])
            _stripe_post(vendor, "/v1/invoiceitems", item)
            draft = _stripe_post(vendor, "/v1/invoices", invoice)
            _stripe_post(vendor, f"/v1/invoices/{draft['id']}/finalize", {})
            adapter.invoice_pay(
                invoice_id=draft["id"], payment_method_id="", idempotency_key=_key("pay")
            )
            _record_as_webhook(vendor, adapter, draft["id"])
    except ProcessorError as error:
        raise CommandError(f"The local Stripe fake failed: {error.detail}") from error


def _record_as_webhook(vendor: Vendor, adapter, invoice_id: str) -> None:
    """What billing.processors.stripe_events does for `invoice.paid`: read
    the invoice (tax rates and coupons with it) and its charge (the card of
    a one-time invoice), then record it. The receipt a webhook would send
    is left out, as for the rest of the demo's history."""
    remote = adapter.invoice_get(invoice_id=invoice_id)
    charge = adapter.charge_get(charge_id=remote.charge_id, find_invoice=False)
    stripe_invoice_record(
        vendor=vendor, adapter=adapter, remote=remote, charge=charge, fetch_charge=False
    )


# --- without the fakes: recorded invoices -----------------------------------------------

RECORDED_INVOICES = Path(__file__).with_name("demo_stripe_invoices.json")
TIME_FIELDS = frozenset(
    {"created", "effective_at", "period_start", "period_end", "paid_at", "finalized_at"}
    | {"start", "end"}
)
# The recorded invoices' Stripe customers.
RECORDED_CUSTOMERS = {
    "cus_demo_acme_kim": "kim@example.com",
    "cus_demo_acme_beispiel": "einkauf@beispiel-handel.example",
    "cus_demo_gale": "gale@example.com",
}


def _moved(value, delta: int):
    """The recorded object with every timestamp moved by `delta` seconds."""
    if isinstance(value, dict):
        return {
            key: item + delta
            if key in TIME_FIELDS and isinstance(item, int) and not isinstance(item, bool)
            else _moved(item, delta)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_moved(item, delta) for item in value]
    return value


def demo_charges_recorded(vendor: Vendor, now: datetime) -> None:
    """The vendor's recorded Stripe invoices, paid now, through the reader
    and the sync, with no call to Stripe."""
    fresh = demo_charged_customers(vendor)
    recorded = json.loads(RECORDED_INVOICES.read_text(encoding="utf-8"))
    delta = int(now.timestamp()) - recorded["recorded_at"]
    for data in recorded["invoices"].get(vendor.slug, []):
        stripe_id = data["customer"]
        customer = fresh.get(RECORDED_CUSTOMERS[stripe_id])
        if customer is None:
            continue
        details = DEMO_CHARGED_CUSTOMERS[customer.email]
        customer.stripe_customer_id = stripe_id
        customer.tax_id = details.get("tax_id", "")
        customer.tax_id_type = details.get("tax_id_type", "")
        customer.save(update_fields=["stripe_customer_id", "tax_id", "tax_id_type", "updated_at"])
        remote = invoice_of(
            _moved(data, delta), tax_rates=recorded["tax_rates"], coupons=recorded["coupons"]
        )
        charge = ProcessorCharge(
            id=remote.charge_id,
            amount=remote.amount_paid,
            currency=remote.currency,
            status="succeeded",
            created=remote.paid_at,
            card=CardSummary(brand="visa", last4="4242"),
        )
        # The customer is known by its Stripe id, the charge is given, and
        # these invoices belong to no subscription: nothing asks Stripe.
        stripe_invoice_record(vendor=vendor, adapter=None, remote=remote, charge=charge)
