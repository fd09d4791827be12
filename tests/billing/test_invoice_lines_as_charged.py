"""Invoices state what Stripe charged (issue 25): each line with its billing
period, proration, discounts and taxes; the invoice's subtotal, discounts,
net and tax per rate, total and amount paid.

localstripe answers in API 2017-08-15 shapes and holds no line taxes,
taxability reasons or discounts in today's shape (the patches in
tests/support/localstripe_patches.py take the old ones out). So the invoice
here is a recorded Stripe invoice of API 2026-10-28
(fixtures/stripe_invoice_two_rates.json: two tax rates, a coupon and a
proration line), checked against the pinned SDK's declarations and fed
through the same reader and sync function as a webhook's invoice."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import stripe
from django.utils import translation

from billing.documents.credit_notes import credit_note_tax_rates
from billing.documents.pdf import credit_note_pdf_render, invoice_pdf_html, pdf_render
from billing.documents.tax_rates import invoice_tax_rates
from billing.models import Invoice
from billing.processors.adapters.base import CardSummary, ProcessorCharge
from billing.processors.adapters.stripe_objects import (
    FIELDS,
    invoice_of,
    invoice_references,
)
from billing.processors.stripe_sync import stripe_invoice_record
from billing.refunds import refund_record
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, SubscriptionFactory
from tests.support.pdf import pdf_text
from tests.support.stripe_contract import prefixes, reads, undeclared

RECORDED = Path(__file__).parent / "fixtures" / "stripe_invoice_two_rates.json"


def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


@pytest.fixture
def acme(vendor):
    vendor.name = "Acme Software GmbH"
    vendor.locale = "en"
    vendor.default_currency = "EUR"
    vendor.timezone = "Europe/Berlin"
    vendor.vat_id = "DE136695976"
    vendor.save()
    return vendor


def sync(vendor, data: dict):
    """The recorded invoice through the reader and the webhook's sync."""
    customer = CustomerFactory(
        vendor=vendor, email="kim.wagner@example.com", name="Kim Wagner", country="DE"
    )
    customer.stripe_customer_id = data["invoice"]["customer"]
    customer.save()
    SubscriptionFactory(
        customer=customer, processor_id="sub_1QteamUpgrade01", currency="EUR", product="Team"
    )
    remote = invoice_of(data["invoice"], tax_rates=data["tax_rates"], coupons=data["coupons"])
    charge = ProcessorCharge(
        id="ch_3QacmeTwoRates01",
        amount=remote.amount_paid,
        currency=remote.currency,
        status="succeeded",
        card=CardSummary(brand="visa", last4="4242"),
    )
    payment, outcome = stripe_invoice_record(
        vendor=vendor, adapter=None, remote=remote, charge=charge
    )
    assert outcome == "created"
    return Invoice.objects.get(payment=payment)


def test_the_recorded_invoice_has_only_fields_the_pinned_sdk_declares():
    """The fixture is Stripe's shape at the pinned version, not ours."""
    data = recorded()
    assert stripe.api_version == data["api_version"]
    assert undeclared(stripe.Invoice, data["invoice"]) == []
    for rate in data["tax_rates"].values():
        assert undeclared(stripe.TaxRate, rate) == []
    for coupon in data["coupons"].values():
        assert undeclared(stripe.Coupon, coupon) == []


def test_the_reader_reads_only_declared_fields_of_it():
    data = recorded()
    read = reads(stripe_objects_invoice_of, data["invoice"], data)
    assert read - prefixes(FIELDS["Invoice"]) == set()


def stripe_objects_invoice_of(invoice, data):
    return invoice_of(invoice, tax_rates=data["tax_rates"], coupons=data["coupons"])


def test_the_adapter_reads_the_rates_and_coupons_the_invoice_names_by_id():
    assert invoice_references(recorded()["invoice"]) == (
        {"txr_1QustDE19", "txr_1QustDE7"},
        {"WELCOME10"},
    )


def test_each_line_keeps_its_period_proration_discounts_and_taxes(acme):
    invoice = sync(acme, recorded())
    proration, team, ebook = invoice.lines
    assert proration["proration"] is True
    assert (proration["period_start"], proration["period_end"]) == ("2026-12-15", "2027-01-01")
    assert proration["discounts"] == []
    assert proration["taxes"] == [
        {
            "rate": "19",
            "label": "USt. 19 %",
            "taxable_amount": "15.48",
            "amount": "2.94",
            "inclusive": False,
            "country": "DE",
            "state": "",
            "taxability_reason": "standard_rated",
        }
    ]
    assert team["proration"] is False
    assert (team["quantity"], team["unit_amount"], team["amount"]) == (5, "6", "30.00")
    assert (team["period_start"], team["period_end"]) == ("2027-01-01", "2027-02-01")
    assert team["discounts"] == [{"name": "Willkommen 10 %", "amount": "3.00"}]
    assert [t["label"] for t in team["taxes"]] == ["USt. 19 %"]
    # A one-off item has no period (Stripe gives it start == end).
    assert "period_start" not in ebook
    assert [(t["label"], t["amount"]) for t in ebook["taxes"]] == [("USt. 7 %", "0.76")]


def test_the_invoice_keeps_its_totals_per_rate_and_what_was_paid(acme):
    invoice = sync(acme, recorded())
    assert invoice.subtotal == Decimal("57.48")
    assert invoice.discounts == [{"name": "Willkommen 10 %", "amount": "4.20"}]
    assert invoice.tax_rates == [
        {
            "rate": "19",
            "label": "USt. 19 %",
            "inclusive": False,
            "taxable_amount": "42.48",
            "amount": "8.07",
            "taxability_reason": "standard_rated",
            "category": "S",
        },
        {
            "rate": "7",
            "label": "USt. 7 %",
            "inclusive": False,
            "taxable_amount": "10.80",
            "amount": "0.76",
            "taxability_reason": "standard_rated",
            "category": "S",
        },
    ]
    assert invoice.tax_amount == Decimal("8.83")
    assert invoice.tax_label == ""  # two rates: no single label
    assert (invoice.total, invoice.amount_paid) == (Decimal("62.11"), Decimal("62.11"))
    assert (invoice.period_start, invoice.period_end) == (date(2026, 12, 15), date(2027, 2, 1))
    assert invoice.reverse_charge is False
    assert invoice.sequence == 1  # a webhook's invoice: issued in our sequence
    assert invoice_tax_rates(invoice) == invoice.tax_rates


def test_the_pdf_shows_every_field(acme):
    invoice = sync(acme, recorded())
    text = pdf_text(pdf_render(invoice=invoice))
    for expected in (
        "Remaining time on 5 × Acme Cloud Team after 15 Dec 2026",
        "Period: Dec 15, 2026 – Jan 1, 2027 · prorated",
        "5 × Acme Cloud Team (at €6.00 / month)",
        "Period: Jan 1, 2027 – Feb 1, 2027",
        "Willkommen 10 %: −€3.00",
        "Acme Handbuch (E-Book)",
        "USt. 19 %: €2.94",
        "USt. 7 %: €0.76",
        "Subtotal",
        "€57.48",
        "−€4.20",
        "Taxable amount, USt. 19 %",
        "€42.48",
        "€8.07",
        "Taxable amount, USt. 7 %",
        "€10.80",
        "Total",
        "€62.11",
        "Amount paid",
        "Service period",
        "December 15, 2026 –",  # the service period, in the details column
        "February 1, 2027",
        "VAT ID: DE136695976",
    ):
        assert expected in text, expected
    assert "Reverse charge" not in text


def test_a_reverse_charge_invoice_says_so_in_the_documents_language(acme):
    data = recorded()
    invoice_data = data["invoice"]
    invoice_data["customer_tax_ids"] = [{"type": "eu_vat", "value": "ATU13585627"}]
    for tax in [
        *invoice_data["total_taxes"],
        *(t for li in invoice_data["lines"]["data"] for t in li["taxes"]),
    ]:
        tax["taxability_reason"] = "reverse_charge"
        tax["amount"] = 0
    invoice = sync(acme, data)
    assert invoice.reverse_charge is True
    assert {rate["category"] for rate in invoice.tax_rates} == {"AE"}
    # The tax ID as printed on Stripe's invoice, though the customer has none here.
    assert invoice.buyer["tax_id"] == "ATU13585627"
    assert "Reverse charge" in pdf_text(pdf_render(invoice=invoice))
    acme.locale = "de"
    acme.save()
    with translation.override("de"):
        text = pdf_text(pdf_render(invoice=Invoice.objects.get(pk=invoice.pk)))
    assert "Steuerschuldnerschaft des Leistungsempfängers" in text
    assert "ATU13585627" in text


def test_an_invoice_issued_before_renders_as_it_did(vendor, alice):
    """An old snapshot (one line, one tax label) keeps its layout: no amount
    paid, no per-rate rows, no periods."""
    order = OrderFactory(customer=alice, product="Watercolour Course", amount=Decimal("59.50"))
    payment = PaymentFactory(order=order, invoice=False)
    invoice = Invoice.objects.create(
        vendor=vendor,
        customer=alice,
        payment=payment,
        sequence=1,
        number="NW-000001",
        issued_at=payment.paid_at,
        seller={"name": vendor.name, "address": "", "support_email": "", "logo": ""},
        buyer={"name": "Alice Adams", "email": "alice@example.com", "address": []},
        lines=[
            {
                "description": "Watercolour Course",
                "quantity": 1,
                "unit_amount": "50.00",
                "amount": "50.00",
            }
        ],
        subtotal=Decimal("50.00"),
        tax_label="VAT 19%",
        tax_amount=Decimal("9.50"),
        total=Decimal("59.50"),
        currency="USD",
    )
    assert not invoice.as_charged
    html = invoice_pdf_html(invoice=invoice)
    assert "Amount paid" not in html
    assert "Taxable amount" not in html
    assert "Service period" not in html
    text = pdf_text(pdf_render(invoice=invoice))
    for expected in ("Watercolour Course", "Subtotal", "$50.00", "VAT 19%", "$9.50", "$59.50"):
        assert expected in text
    assert invoice_tax_rates(invoice) == [
        {
            "rate": "19",
            "label": "VAT 19%",
            "inclusive": False,
            "taxable_amount": "50.00",
            "amount": "9.50",
            "taxability_reason": "",
            "category": "S",
        }
    ]


@pytest.mark.parametrize(
    ("currency", "total", "printed"),
    [("kwd", Decimal("6.211"), ["KWD6.211", "KWD5.748"]), ("jpy", Decimal("6211"), ["¥6,211"])],
)
def test_amounts_keep_their_currencys_decimals(acme, currency, total, printed):
    """Stripe's minor units by the currency's exponent (KWD has three
    decimals, JPY none), kept to the last fils and printed as babel writes
    that currency."""
    data = recorded()
    invoice_data = data["invoice"]
    invoice_data["currency"] = currency
    for line in invoice_data["lines"]["data"]:
        line["currency"] = currency
    acme.default_currency = currency.upper()
    acme.save()
    invoice = sync(acme, data)
    invoice.refresh_from_db()
    assert invoice.currency == currency.upper()
    assert invoice.total == total
    assert invoice.payment.amount == total
    text = pdf_text(pdf_render(invoice=invoice))
    for expected in printed:
        assert expected in text, expected


def test_a_credit_note_refers_to_its_invoice_and_gives_back_its_mix_of_rates(acme):
    invoice = sync(acme, recorded())
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=Decimal("31.05"),
        reason="requested_by_customer",
        refunded_at=invoice.issued_at,
        processor_ref="re_3QacmeTwoRates01",
    )
    credit_note = refund.credit_note
    assert credit_note.invoice == invoice
    rates = credit_note_tax_rates(credit_note)
    assert [(r["label"], r["category"]) for r in rates] == [("USt. 19 %", "S"), ("USt. 7 %", "S")]
    # Half of the invoice's total: half of each rate's tax, and the parts
    # add up to the refund exactly.
    assert [r["amount"] for r in rates] == ["4.03", "0.38"]
    assert sum(Decimal(r["taxable_amount"]) + Decimal(r["amount"]) for r in rates) == Decimal(
        "31.05"
    )
    text = pdf_text(credit_note_pdf_render(credit_note=credit_note))
    assert invoice.number in text
