"""One derivation of an invoice's tax per rate and one VAT category mapper
(billing.documents.tax_rates), read by the printed invoice and the e-invoice
alike: what the PDF prints per rate is what the XML states, and a tax gets
the same category whether the snapshot recorded it or it is worked out
later from the snapshot's own facts."""

from decimal import Decimal

import pytest

from billing.documents.einvoice import invoice_xml
from billing.documents.pdf import pdf_render
from billing.documents.tax_rates import invoice_tax_rates, tax_entry_category
from billing.models import Invoice
from billing.processors.adapters.base import ChargedTax, InvoiceLine, ProcessorInvoice
from billing.processors.charged import charged_snapshot
from tests.billing.test_einvoice import (
    SETTLEMENT,
    assert_valid,
    charged,
    eu_vendor,
    values,
    vat,
)
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory
from tests.support.pdf import pdf_text


@pytest.mark.parametrize(
    ("reason", "fields", "category"),
    [
        ("standard_rated", {"rate": Decimal("19"), "country": "DE"}, "S"),
        ("reverse_charge", {"rate": Decimal("0"), "country": "AT"}, "AE"),
        ("product_exempt", {"rate": Decimal("0")}, "E"),
        ("zero_rated", {"rate": Decimal("0")}, "Z"),
        ("not_collecting", {"rate": None}, "O"),
        ("excluded_territory", {"rate": Decimal("0")}, "O"),
        ("jurisdiction_unsupported", {"rate": Decimal("0")}, "O"),
        ("standard_rated", {"rate": Decimal("8.5"), "country": "US", "tax_type": "sales_tax"}, "O"),
        ("", {"rate": None, "amount": Decimal("1.90")}, "S"),
    ],
)
def test_a_tax_has_one_category_when_recorded_and_when_worked_out(vendor, reason, fields, category):
    """The category charged_snapshot records for a rate, and the one the
    e-invoice works out for a line's tax of the same snapshot (which names
    none), come from one mapper and agree."""
    tax = ChargedTax(
        label="Tax",
        taxable_amount=Decimal("10.00"),
        amount=fields.pop("amount", Decimal("0")),
        taxability_reason=reason,
        **fields,
    )
    remote = ProcessorInvoice(
        id="in_1",
        customer_id="cus_1",
        status="paid",
        currency="EUR",
        total=Decimal("10.00") + tax.amount,
        lines=[InvoiceLine(description="Plan", quantity=1, amount=Decimal("10.00"), taxes=[tax])],
        taxes=[tax],
    )
    snapshot = charged_snapshot(remote=remote, vendor=vendor)
    (recorded,) = snapshot["tax_rates"]
    (line_tax,) = snapshot["lines"][0]["taxes"]
    assert "category" not in line_tax
    assert recorded["category"] == category
    assert tax_entry_category(line_tax, seller={}) == category


def test_the_pdf_prints_the_rates_the_xml_states_when_only_the_lines_name_them(db):
    """A snapshot whose lines carry their taxes but that recorded no rates:
    both documents sum the lines per rate, the same way."""
    vendor = eu_vendor()
    customer = CustomerFactory(vendor=vendor, name="Berta Berg", country="DE")
    invoice = charged(
        customer,
        lines=[
            {
                "description": "Pro plan",
                "quantity": 1,
                "unit_amount": "100.00",
                "amount": "100.00",
                "taxes": [vat("19", "100.00", "19.00")],
            },
            {
                "description": "E-book",
                "quantity": 1,
                "unit_amount": "20.00",
                "amount": "20.00",
                "taxes": [vat("7", "20.00", "1.40")],
            },
        ],
        tax_label="",
        tax_amount="20.40",
    )
    assert invoice.tax_rates == []
    rates = invoice_tax_rates(invoice)
    assert [(r["rate"], r["taxable_amount"], r["amount"], r["category"]) for r in rates] == [
        ("19", "100.00", "19.00", "S"),
        ("7", "20.00", "1.40", "S"),
    ]
    assert [row["amount"] for row in invoice.tax_rates_shown] == [Decimal("19.00"), Decimal("1.40")]
    xml = invoice_xml(invoice)
    assert_valid(xml)
    breakdown = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert values(xml, breakdown + "/ram:BasisAmount") == ["100.00", "20.00"]
    assert values(xml, breakdown + "/ram:CalculatedAmount") == ["19.00", "1.40"]
    pdf = pdf_render(invoice=invoice)
    text = pdf_text(pdf)
    # Each on its line, then its taxable amount and its tax under the subtotal.
    assert text.count("USt. 19 %") == text.count("USt. 7 %") == 3, text


@pytest.mark.parametrize(
    ("label", "category"), [("VAT 19%", "S"), ("Sales tax (OR)", "O"), ("Tax", "S")]
)
def test_an_invoice_issued_before_rates_gets_its_one_rate_from_its_label(alice, label, category):
    invoice = PaymentFactory(order=OrderFactory(customer=alice, amount=Decimal("59.50"))).invoice
    Invoice.objects.filter(pk=invoice.pk).update(
        subtotal=Decimal("50.00"), tax_label=label, tax_amount=Decimal("9.50")
    )
    invoice.refresh_from_db()
    (rate,) = invoice_tax_rates(invoice)
    assert (rate["rate"], rate["taxable_amount"], rate["amount"]) == ("19", "50.00", "9.50")
    assert rate["category"] == category
