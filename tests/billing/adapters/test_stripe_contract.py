"""The contract between the hub's Stripe readers, the pinned SDK and the fake.

1. Every field path the readers declare (`stripe_objects.FIELDS`) exists on
   that object in stripe-python's typed resources (API 2026-10-28).
2. The readers read nothing they did not declare (each reader runs on
   recording copies of the fake's objects and of hand-made ones).
3. The fake (localstripe with our patches) sends nothing the SDK does not
   declare, and sends today's links: `invoice.payments`, `parent`, item
   periods, `total_taxes`; no `invoice.charge`, no `charge.invoice`.

`test_the_check_fails_on_a_removed_or_misspelt_field` is the test of the
test: the fields Stripe removed in 2025-03-31 are refused by (1), and a
reader that reads one is caught by (2).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from billing.adapters import stripe_objects
from billing.adapters.stripe import INVOICE_EXPAND, SUBSCRIPTION_EXPAND
from billing.adapters.stripe_objects import FIELDS
from tests.support.stripe_contract import path_problem, prefixes, reads, undeclared

AUTH = ("sk_test_northwind", "")

READERS = {
    "Customer": stripe_objects.customer_of,
    "Subscription": stripe_objects.subscription_of,
    "Invoice": stripe_objects.invoice_of,
    "Charge": stripe_objects.charge_of,
    "SetupIntent": stripe_objects.setup_intent_of,
    "PaymentMethod": stripe_objects.card_of,
    "Event": stripe_objects.event_of,
}


def problems(fields: dict[str, tuple[str, ...]]) -> list[str]:
    return [
        problem
        for name, paths in fields.items()
        for path in paths
        if (problem := path_problem(getattr(stripe, name), path))
    ]


def unread_declarations(name: str, data: dict[str, Any]) -> set[str]:
    """What the reader for `name` reads from `data` that FIELDS does not declare."""
    if name == "Refund":
        read = reads(stripe_objects.refund_of, data, "USD")
    else:
        read = reads(READERS[name], data)
    return read - prefixes(FIELDS[name])


def test_every_field_the_readers_declare_exists_in_the_pinned_sdk():
    assert stripe.VERSION.startswith("16.")
    assert problems(FIELDS) == []


def test_the_check_fails_on_a_removed_or_misspelt_field():
    """Fields Stripe removed in 2025-03-31.basil, and a typo, are refused."""
    removed = {
        "Invoice": ("charge", "payment_intent", "subscription", "paid", "tax"),
        "Charge": ("invoice",),
        "PaymentIntent": ("invoice",),
        "Subscription": ("current_period_end", "plan"),
    }
    found = problems(removed)
    assert len(found) == 9, found
    assert "Charge has no `invoice` in stripe-python" in " ".join(found)
    assert problems({"Invoice": ("parent.subscription_details.subscripton",)})
    assert problems({"Invoice": ("total.amount",)})  # below a scalar

    # A reader that still read `invoice.charge` is caught by what it reads.
    def old_reader(data):
        return stripe_objects.id_of(data.get("charge"))

    invoice = {"id": "in_1", "charge": "ch_1"}
    assert reads(old_reader, invoice) - prefixes(FIELDS["Invoice"]) == {"charge"}


# --- the fake's objects, as the adapter asks for them -----------------------------------


def get(base: str, path: str, expand: list[str] | None = None) -> dict[str, Any]:
    params = [("expand[]", e) for e in expand or []]
    response = requests.get(f"{base}{path}", params=params, auth=AUTH, timeout=10)
    response.raise_for_status()
    return response.json()


def post(base: str, path: str, **data: Any) -> dict[str, Any]:
    response = requests.post(f"{base}{path}", data=data, auth=AUTH, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def fake_objects(localstripe) -> dict[str, list[dict[str, Any]]]:
    """One of each object the hub reads, made and read at the fake the way
    the adapter reads them (same expansions)."""
    base = localstripe
    customer = post(base, "/v1/customers", email="pat@example.com", name="Pat",
                    **{"address[line1]": "1 Main St", "address[country]": "US"})  # fmt: skip
    method = post(base, "/v1/payment_methods/pm_card_visa/attach", customer=customer["id"])
    post(base, f"/v1/customers/{customer['id']}",
         **{"invoice_settings[default_payment_method]": method["id"]})  # fmt: skip
    plan = post(base, "/v1/plans", amount=1500, currency="usd", interval="month",
                nickname="internal-label", **{"product[name]": "Pro Membership"})  # fmt: skip
    subscription = post(base, "/v1/subscriptions", customer=customer["id"],
                        **{"items[0][plan]": plan["id"]})  # fmt: skip
    invoices = get(base, f"/v1/invoices?customer={customer['id']}", ["data.payments"])["data"]
    invoice = get(base, f"/v1/invoices/{invoices[0]['id']}", INVOICE_EXPAND)
    intent_id = invoice["payments"]["data"][0]["payment"]["payment_intent"]["id"]
    charge_id = stripe_objects.id_of(
        invoice["payments"]["data"][0]["payment"]["payment_intent"]["latest_charge"]
    )
    post(base, "/v1/refunds", charge=charge_id, amount=500)
    setup = post(base, "/v1/setup_intents", customer=customer["id"], usage="off_session")
    declined = {"payment_method": "pm_card_chargeDeclined"}
    confirm = f"{base}/v1/setup_intents/{setup['id']}/confirm"
    requests.post(confirm, data=declined, auth=AUTH, timeout=10)
    return {
        "Customer": [get(base, f"/v1/customers/{customer['id']}")],
        "PaymentMethod": [get(base, f"/v1/payment_methods/{method['id']}")],
        "Subscription": [
            get(base, f"/v1/subscriptions/{subscription['id']}", SUBSCRIPTION_EXPAND),
            *get(base, "/v1/subscriptions", ["data.default_payment_method"])["data"],
        ],
        "Invoice": [invoice, *invoices],
        "InvoicePayment": get(
            base,
            f"/v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]={intent_id}",
        )["data"],
        "PaymentIntent": [get(base, f"/v1/payment_intents/{intent_id}")],
        "Charge": [get(base, f"/v1/charges/{charge_id}", ["refunds"])],
        "Refund": get(base, f"/v1/refunds?charge={charge_id}")["data"],
        "SetupIntent": [get(base, f"/v1/setup_intents/{setup['id']}")],
        "Plan": [get(base, f"/v1/plans/{plan['id']}")],
        "Product": [get(base, f"/v1/products/{plan['product']}")],
    }


def test_the_fake_sends_only_what_the_pinned_sdk_declares(fake_objects):
    found = {
        name: undeclared(getattr(stripe, name), obj)
        for name, objects in fake_objects.items()
        for obj in objects
        if undeclared(getattr(stripe, name), obj)
    }
    assert found == {}
    assert all(fake_objects.values())


def test_the_fake_speaks_todays_links(fake_objects):
    invoice, listed = fake_objects["Invoice"][0], fake_objects["Invoice"][1]
    for removed in ("charge", "payment_intent", "subscription", "tax"):
        assert removed not in invoice and removed not in listed
    assert "invoice" not in fake_objects["Charge"][0]
    assert "invoice" not in fake_objects["PaymentIntent"][0]
    subscription = fake_objects["Subscription"][0]
    assert "current_period_end" not in subscription
    assert subscription["items"]["data"][0]["current_period_end"] > 0
    assert invoice["parent"]["subscription_details"]["subscription"] == subscription["id"]
    assert invoice["total_taxes"] == [] and invoice["number"]
    assert [p["status"] for p in listed["payments"]["data"]] == ["paid"]
    assert fake_objects["InvoicePayment"][0]["invoice"] == invoice["id"]


def test_the_readers_read_only_what_they_declare(fake_objects):
    for name, objects in fake_objects.items():
        if name in READERS or name == "Refund":
            for obj in objects:
                assert unread_declarations(name, obj) == set(), name


def test_the_readers_read_only_what_they_declare_on_other_shapes():
    """Shapes the fake does not make: a Price-based item, a payment by bare
    charge, a card-error SetupIntent, an event."""
    subscription = {
        "id": "sub_1",
        "status": "active",
        "customer": {"id": "cus_1", "invoice_settings": {"default_payment_method": {
            "id": "pm_1", "object": "payment_method",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 1, "exp_year": 2030}}}},
        "items": {"data": [{"quantity": 2, "current_period_end": 1,
                            "price": {"id": "price_1", "product": {"id": "prod_1", "name": "P"},
                                      "currency": "eur", "unit_amount": 100,
                                      "recurring": {"interval": "year", "interval_count": 1}}}]},
    }  # fmt: skip
    invoice = {
        "id": "in_1",
        "currency": "eur",
        "total_taxes": [{"amount": 19}],
        "payments": {"data": [{"status": "paid", "is_default": True,
                               "payment": {"type": "charge", "charge": "ch_1"}}]},
        "lines": {"data": [{"description": "P", "quantity": 1, "amount": 100}]},
        "status_transitions": {"paid_at": 1},
    }  # fmt: skip
    event = {"id": "evt_1", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}}
    assert unread_declarations("Subscription", subscription) == set()
    assert unread_declarations("Invoice", invoice) == set()
    assert unread_declarations("Event", event) == set()
    parsed = stripe_objects.invoice_of(invoice)
    assert (parsed.charge_id, parsed.tax) == ("ch_1", stripe_objects.money_of(19, "EUR"))
    assert stripe_objects.subscription_of(subscription).product == "P"
