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

from billing.processors.adapters import stripe_objects
from billing.processors.adapters.stripe import INVOICE_EXPAND, SUBSCRIPTION_EXPAND
from billing.processors.adapters.stripe_objects import FIELDS
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
    "TaxId": stripe_objects.tax_id_of,
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
    # A taxed subscription: `total_taxes` items are checked too, not just an empty list.
    rates = [
        post(base, "/v1/tax_rates", display_name=name, percentage=percent, inclusive=inclusive)
        for name, percent, inclusive in (("VAT", "20", "false"), ("GST", "10", "true"))
    ]
    taxed = post(base, "/v1/subscriptions", customer=customer["id"],
                 **{"items[0][plan]": plan["id"], "default_tax_rates[0]": rates[0]["id"],
                    "default_tax_rates[1]": rates[1]["id"]})  # fmt: skip
    taxed_invoice = get(base, f"/v1/invoices/{taxed['latest_invoice']}", INVOICE_EXPAND)
    # Issue 25's invoices: a one-off invoice with a coupon and a US sales tax,
    # and one to a reverse-charge business with its VAT ID.
    vat = post(base, "/v1/tax_rates", display_name="USt.", percentage="19", inclusive="false",
               country="DE", jurisdiction="DE", tax_type="vat")  # fmt: skip
    sales = post(base, "/v1/tax_rates", display_name="Sales Tax", percentage="8.25",
                 inclusive="false", country="US", state="TX", jurisdiction="TX",
                 tax_type="sales_tax")  # fmt: skip
    coupon = post(base, "/v1/coupons", id="CONTRACT5", amount_off=500, currency="usd",
                  duration="once", name="Launch offer")  # fmt: skip
    business = post(base, "/v1/customers", email="firma@example.com", tax_exempt="reverse")
    post(base, f"/v1/customers/{business['id']}/tax_ids", type="eu_vat", value="ATU13585627")
    card = post(base, "/v1/payment_methods/pm_card_visa/attach", customer=business["id"])
    post(base, f"/v1/customers/{business['id']}",
         **{"invoice_settings[default_payment_method]": card["id"]})  # fmt: skip
    one_off = {}
    for who, rate, extra in (
        (customer, sales, {"discounts[0][coupon]": coupon["id"]}),
        (business, vat, {}),
    ):
        period = {"period[start]": 1795168740, "period[end]": 1797847080}
        post(base, "/v1/invoiceitems", customer=who["id"], amount=2000, currency="usd",
             description="Seats", **period)  # fmt: skip
        draft = post(base, "/v1/invoices", customer=who["id"],
                     pending_invoice_items_behavior="include",
                     **{"default_tax_rates[0]": rate["id"], **extra})  # fmt: skip
        post(base, f"/v1/invoices/{draft['id']}/finalize")
        post(base, f"/v1/invoices/{draft['id']}/pay")
        one_off[who["id"]] = get(base, f"/v1/invoices/{draft['id']}", INVOICE_EXPAND)
    discounted, reverse_charged = one_off[customer["id"]], one_off[business["id"]]
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
    tax_ids = f"/v1/customers/{customer['id']}/tax_ids"
    tax_id = post(base, tax_ids, type="eu_vat", value="DE136695976")
    post(base, tax_ids, type="ch_uid", value="CHE-100.155.212")
    return {
        "Customer": [
            get(base, f"/v1/customers/{customer['id']}"),
            get(base, f"/v1/customers/{business['id']}"),
        ],
        "TaxId": [get(base, f"{tax_ids}/{tax_id['id']}"), *get(base, tax_ids)["data"]],
        "PaymentMethod": [get(base, f"/v1/payment_methods/{method['id']}")],
        "Subscription": [
            get(base, f"/v1/subscriptions/{subscription['id']}", SUBSCRIPTION_EXPAND),
            *get(base, "/v1/subscriptions", ["data.default_payment_method"])["data"],
        ],
        "Invoice": [invoice, *invoices, taxed_invoice, discounted, reverse_charged],
        "TaxRate": [get(base, f"/v1/tax_rates/{r['id']}") for r in (vat, sales)],
        "Coupon": [get(base, f"/v1/coupons/{coupon['id']}")],
        "Discount": discounted["discounts"],
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
        "Balance": [get(base, "/v1/balance")],
        "Event": get(base, "/v1/events?limit=5")["data"],
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
    taxed = fake_objects["Invoice"][2]
    # 20 % on 15.00 on top; 10 % inside 15.00 (1500 * 10 / 110): "if the price
    # is €600 and you set an inclusive tax rate of 10%, the invoice total will
    # still be €600" (support.stripe.com, inclusive and exclusive tax options).
    assert [(t["amount"], t["tax_behavior"]) for t in taxed["total_taxes"]] == [
        (300, "exclusive"),
        (136, "inclusive"),
    ]
    assert taxed["total"] == 1800
    assert stripe_objects.invoice_of(taxed).tax == stripe_objects.money_of(436, "USD")
    assert [p["status"] for p in listed["payments"]["data"]] == ["paid"]
    assert fake_objects["InvoicePayment"][0]["invoice"] == invoice["id"]
    # Its events say so too (localstripe stamped 2017-08-15).
    assert {e["api_version"] for e in fake_objects["Event"]} == {stripe.api_version}


def test_the_fake_charges_coupons_and_taxes_as_stripe_states_them(fake_objects):
    """Issue 25: a coupon comes off before tax (taxable 15.00 of 20.00), the
    invoice names it by its Discount, and a tax rate's country, state and
    type are there to read."""
    discounted = fake_objects["Invoice"][-2]
    (discount,) = discounted["discounts"]
    assert discount["object"] == "discount"
    assert discount["source"] == {"coupon": "CONTRACT5", "type": "coupon"}
    assert discounted["total_discount_amounts"] == [{"amount": 500, "discount": discount["id"]}]
    (line,) = discounted["lines"]["data"]
    assert line["discount_amounts"] == [{"amount": 500, "discount": discount["id"]}]
    assert [(t["amount"], t["taxable_amount"], t["taxability_reason"]) for t in line["taxes"]] == [
        (124, 1500, "standard_rated")
    ]
    assert discounted["total_taxes"] == line["taxes"]
    assert (discounted["subtotal"], discounted["total"], discounted["amount_paid"]) == (
        2000,
        1624,
        1624,
    )
    rates = {rate["id"]: rate for rate in fake_objects["TaxRate"]}
    coupons = {coupon["id"]: coupon for coupon in fake_objects["Coupon"]}
    read = stripe_objects.invoice_of(discounted, tax_rates=rates, coupons=coupons)
    assert [(d.name, d.amount) for d in read.discounts] == [
        ("Launch offer", stripe_objects.money_of(500, "USD"))
    ]
    assert [(t.label, t.country, t.state, t.tax_type) for t in read.taxes] == [
        ("Sales Tax (TX)", "US", "TX", "sales_tax")
    ]


def test_the_fake_states_a_reverse_charge_as_stripe_does(fake_objects):
    """A customer with `tax_exempt=reverse` pays no tax; the invoice states
    the rate with `reverse_charge` and the customer's tax status and IDs as
    they were when it was finalized."""
    reverse_charged = fake_objects["Invoice"][-1]
    assert reverse_charged["customer_tax_exempt"] == "reverse"
    assert reverse_charged["customer_tax_ids"] == [{"type": "eu_vat", "value": "ATU13585627"}]
    assert [(t["amount"], t["taxable_amount"], t["taxability_reason"])
            for t in reverse_charged["total_taxes"]] == [(0, 2000, "reverse_charge")]  # fmt: skip
    assert reverse_charged["total"] == reverse_charged["amount_paid"] == 2000
    read = stripe_objects.invoice_of(reverse_charged)
    assert read.customer_tax_exempt == "reverse" and read.tax == 0
    assert fake_objects["Customer"][1]["tax_exempt"] == "reverse"


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


def test_the_products_name_comes_from_the_expanded_plan_when_the_price_names_it_by_id():
    """Stripe's subscription items hold the product twice: `price.product` as
    an id, `plan.product` expanded (SUBSCRIPTION_EXPAND). The name is read
    from the expanded one, so a subscription read needs no product read."""
    item = {
        "quantity": 1,
        "current_period_end": 1,
        "price": {"id": "price_1", "product": "prod_1", "currency": "usd", "unit_amount": 900},
        "plan": {"id": "price_1", "product": {"id": "prod_1", "name": "Pro plan"}},
    }
    subscription = {"id": "sub_1", "status": "active", "customer": "cus_1",
                    "items": {"data": [item]}}  # fmt: skip
    parsed = stripe_objects.subscription_of(subscription)
    assert (parsed.product, parsed.product_id) == ("Pro plan", "prod_1")


# --- the adapter's own reads ----------------------------------------------------------------

SDK_NAMES = {
    "balance": "Balance",
    "charge": "Charge",
    "customer": "Customer",
    "invoice": "Invoice",
    "invoice_payment": "InvoicePayment",
    "payment_intent": "PaymentIntent",
    "payment_method": "PaymentMethod",
    "plan": "Plan",
    "product": "Product",
    "refund": "Refund",
    "setup_intent": "SetupIntent",
    "subscription": "Subscription",
    "tax_id": "TaxId",
    "webhook_endpoint": "WebhookEndpoint",
}


def test_every_adapter_operation_reads_only_declared_fields(stripe_vendor, monkeypatch):
    """Each Stripe answer the adapter turns into a dict is recorded, by the
    object it is, while the hub's operations run against the fake."""
    from billing.processors.adapters import stripe as adapter_module
    from billing.processors.adapters import stripe_adapter_for
    from tests.support.stripe_contract import Recorded

    seen: dict[str, set[str]] = {}
    original = adapter_module._plain

    def recorded(obj: Any) -> dict[str, Any]:
        data = original(obj)
        if data.get("object") == "list":
            items = data.get("data") or []
            return {**data, "data": [recorded(item) for item in items]}
        name = SDK_NAMES[str(data.get("object"))]
        return Recorded(data, seen.setdefault(name, set()))

    monkeypatch.setattr(adapter_module, "_plain", recorded)
    adapter = stripe_adapter_for(vendor=stripe_vendor)
    customer = adapter.customer_create(email="lee@example.com", name="Lee", idempotency_key="c1")
    adapter.payment_method_attach_default(
        customer_id=customer.id, payment_method_id="pm_card_visa", idempotency_key="p1"
    )
    price = adapter.price_create(
        product_name="Pro", amount=stripe_objects.money_of(900, "USD"), currency="USD",
        idempotency_key="pr1",
    )  # fmt: skip
    subscription = adapter.subscription_create(
        customer_id=customer.id, price_id=price, idempotency_key="s1"
    )
    adapter.subscription_list(customer_id=customer.id)
    adapter.subscription_cancel(
        subscription_id=subscription.id, at_period_end=True, idempotency_key="x1"
    )
    adapter.customer_get(customer_id=customer.id)
    adapter.customer_list(limit=5)
    invoice = adapter.invoice_list(customer_id=customer.id).items[0]
    adapter.invoice_get(invoice_id=invoice.id)
    adapter.refund_create(charge_id=invoice.charge_id, amount=None, idempotency_key="r1")
    adapter.charge_get(charge_id=invoice.charge_id)
    adapter.charge_list(customer_id=customer.id)
    intent = adapter.setup_intent_create(customer_id=customer.id, idempotency_key="si1")
    adapter.setup_intent_get(setup_intent_id=intent.id)
    adapter.connection_check()
    tax_id = adapter.customer_tax_id_create(
        customer_id=customer.id, type="gb_vat", value="GB980780684", idempotency_key="t1"
    )
    adapter.customer_tax_id_get(customer_id=customer.id, tax_id_id=tax_id.id)
    adapter.customer_tax_id_delete(customer_id=customer.id, tax_id_id=tax_id.id)

    assert {"Invoice", "Charge", "Subscription", "InvoicePayment", "Refund", "TaxId"} <= set(seen)
    undeclared_reads = {
        name: sorted(paths - prefixes(FIELDS.get(name, ())))
        for name, paths in seen.items()
        if paths - prefixes(FIELDS.get(name, ()))
    }
    assert undeclared_reads == {}


def test_a_page_of_invoice_lines_is_what_the_pinned_sdk_declares(localstripe):
    """The lines beyond an invoice's embedded ten, as the adapter reads
    them (StripeAdapter._invoice_all_lines): the same shape as the embedded
    lines of the same kind, which the invoice's own checks govern."""
    base = localstripe
    customer = post(base, "/v1/customers", email="lee@example.com")
    method = post(base, "/v1/payment_methods/pm_card_visa/attach", customer=customer["id"])
    post(base, f"/v1/customers/{customer['id']}",
         **{"invoice_settings[default_payment_method]": method["id"]})  # fmt: skip
    plan = post(base, "/v1/plans", amount=500, currency="eur", interval="month",
                **{"product[name]": "Membership"})  # fmt: skip
    post(base, "/v1/subscriptions", customer=customer["id"], **{"items[0][plan]": plan["id"]})
    for number in range(11):
        post(base, "/v1/invoiceitems", customer=customer["id"], amount=100, currency="eur",
             description=f"Seat {number}")  # fmt: skip
    invoice = post(base, "/v1/invoices", customer=customer["id"])
    assert invoice["lines"]["has_more"] is True
    embedded = invoice["lines"]["data"]
    page = get(
        base,
        f"/v1/invoices/{invoice['id']}/lines?limit=100&starting_after={embedded[-1]['id']}",
        ["data.discounts"],
    )
    assert len(embedded) + len(page["data"]) == 12 and page["has_more"] is False
    items = [line for line in embedded if line["description"].startswith("Seat")]
    assert [sorted(line) for line in page["data"]] == [sorted(items[0])] * 2
    assert all(line["discounts"] == [] for line in page["data"])
