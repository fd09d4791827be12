"""E-invoices (issue 25, point 4): every invoice and credit note PDF is a
PDF/A-3 carrying its EN 16931 XML as factur-x.xml (ZUGFeRD / Factur-X), the
XML validates against the Factur-X schema drafthorse ships and meets EN
16931's business rules, and every amount in it is one the PDF prints. One
test per case: a standard German 19 % invoice, a reverse charge, US sales
tax, an invoice issued before lines had taxes, and a credit note."""

import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from drafthorse.utils import validate_xml
from lxml import etree
from pypdf import PdfReader

from billing.documents.einvoice import NoEinvoice, credit_note_xml, invoice_xml
from billing.documents.invoices import invoice_issue
from billing.documents.pdf import credit_note_pdf_render, pdf_render
from billing.models import CreditNote, Invoice
from billing.refunds import refund_record
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, VendorFactory
from tests.support.en16931_rules import assert_meets_en16931
from tests.support.pdf import pdf_text
from vendors.formatting import money, vendor_language

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
TOTALS = SETTLEMENT + "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
# The amounts a reader of the PDF finds printed: lines, per-rate basis and
# tax, discounts and charges, and the totals (what is due after payment is
# zero and the PDF says "Paid in full" instead).
PRINTED_AMOUNTS = [
    "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
    SETTLEMENT + "/ram:ApplicableTradeTax/ram:BasisAmount",
    SETTLEMENT + "/ram:ApplicableTradeTax/ram:CalculatedAmount",
    SETTLEMENT + "/ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount",
    TOTALS + "/ram:LineTotalAmount",
    TOTALS + "/ram:TaxBasisTotalAmount",
    TOTALS + "/ram:TaxTotalAmount",
    TOTALS + "/ram:GrandTotalAmount",
    TOTALS + "/ram:TotalPrepaidAmount",
]


def tree(xml: bytes):
    return etree.fromstring(xml)


def value(xml: bytes, path: str) -> str:
    found = tree(xml).xpath(path, namespaces=NS)
    assert found, path
    return found[0].text


def values(xml: bytes, path: str) -> list[str]:
    return [node.text for node in tree(xml).xpath(path, namespaces=NS)]


def assert_valid(xml: bytes) -> None:
    """Against the Factur-X 1.0.07 EN 16931 XSD that drafthorse ships (raises
    lxml's XMLSyntaxError naming the element otherwise), and against EN 16931's
    business rules (CEN's and Factur-X's schematron), which the XSD cannot
    express."""
    validate_xml(xml, "FACTUR-X_EN16931")
    assert_meets_en16931(xml)


def assert_every_amount_is_printed(xml: bytes, pdf: bytes, vendor, currency: str) -> None:
    text = pdf_text(pdf)
    with translation.override(vendor_language(vendor)):
        for path in PRINTED_AMOUNTS:
            for amount in values(xml, path):
                if Decimal(amount) == 0:
                    continue
                printed = money(Decimal(amount), currency, vendor).replace("\xa0", " ")
                assert printed.replace("\u202f", " ") in text, (path, printed)


def assert_e_invoice_pdf(pdf: bytes, xml: bytes) -> None:
    """PDF/A-3 declared in the XMP, the Factur-X XMP, and the XML attached
    as factur-x.xml (text/xml, "Alternative" to the document)."""
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp or b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b"<fx:DocumentType>INVOICE</fx:DocumentType>" in xmp
    assert b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert b"<pdfaSchema:prefix>fx</pdfaSchema:prefix>" in xmp
    # Still tagged PDF/UA-1, declared beside the PDF/A identification.
    assert b'pdfuaid:part="1"' in xmp and b"<pdfaSchema:prefix>pdfuaid<" in xmp
    assert "/StructTreeRoot" in root
    assert reader.attachments == {"factur-x.xml": [xml]}
    (filespec,) = [spec.get_object() for spec in root["/AF"]]
    assert filespec["/AFRelationship"] == "/Alternative"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"


def eu_vendor(**fields):
    defaults = {
        "slug": "kontor",
        "name": "Kontor",
        "country": "DE",
        "locale": "de",
        "default_currency": "EUR",
        "address": "Hafenstraße 1\n20259 Hamburg",
        "legal_name": "Kontor Software GmbH",
        "vat_id": "DE136695976",
        "tax_number": "93815/08152",
    }
    return VendorFactory(**(defaults | fields))


def charged(customer, *, lines: list[dict], tax_label: str, tax_amount: str, **fields) -> Invoice:
    """An invoice whose snapshot holds the lines as the processor charged
    them (the issue-25 shape: taxes per line), written the way the sync
    writes the snapshot."""
    subtotal = sum(Decimal(line["amount"]) for line in lines)
    discounts = sum(Decimal(d["amount"]) for line in lines for d in line.get("discounts", []))
    total = subtotal - discounts + Decimal(tax_amount)
    order = OrderFactory(customer=customer, product=lines[0]["description"], amount=total)
    invoice = PaymentFactory(order=order).invoice
    Invoice.objects.filter(pk=invoice.pk).update(
        lines=lines,
        subtotal=subtotal,
        tax_label=tax_label,
        tax_amount=Decimal(tax_amount),
        total=total,
        **fields,
    )
    invoice.refresh_from_db()
    return invoice


def vat(rate: str, taxable: str, amount: str, **fields) -> dict:
    return {
        "rate": rate,
        "label": f"USt. {rate} %",
        "taxable_amount": taxable,
        "amount": amount,
        "inclusive": False,
        "country": "DE",
        "state": "",
        "taxability_reason": "standard_rated",
    } | fields


# --- the cases -----------------------------------------------------------------------


def test_a_german_invoice_at_19_percent(db):
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
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
                "taxes": [vat("19", "100.00", "19.00")],
            }
        ],
        tax_label="USt. 19 %",
        tax_amount="19.00",
    )
    xml = invoice_xml(invoice)
    assert_valid(xml)
    assert value(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert value(xml, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert value(xml, "//ram:SellerTradeParty/ram:Name") == "Kontor Software GmbH"
    seller_ids = tree(xml).xpath(
        "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS
    )
    assert [(i.get("schemeID"), i.text) for i in seller_ids] == [
        ("VA", "DE136695976"),
        ("FC", "93815/08152"),
    ]
    assert value(xml, "//ram:SellerTradeParty//ram:CityName") == "Hamburg"
    assert value(xml, "//ram:SellerTradeParty//ram:PostcodeCode") == "20259"
    line_tax = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    assert value(xml, line_tax + "/ram:CategoryCode") == "S"
    assert value(xml, line_tax + "/ram:RateApplicablePercent") == "19.00"
    period = "//ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod"
    assert value(xml, period + "/ram:StartDateTime/udt:DateTimeString") == "20261101"
    assert value(xml, period + "/ram:EndDateTime/udt:DateTimeString") == "20261130"
    assert value(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:BasisAmount") == "100.00"
    assert value(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:CalculatedAmount") == "19.00"
    assert value(xml, TOTALS + "/ram:TaxTotalAmount") == "19.00"
    assert (
        tree(xml).xpath(TOTALS + "/ram:TaxTotalAmount", namespaces=NS)[0].get("currencyID") == "EUR"
    )
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == "119.00"
    assert value(xml, TOTALS + "/ram:TotalPrepaidAmount") == "119.00"
    assert value(xml, TOTALS + "/ram:DuePayableAmount") == "0.00"
    assert value(xml, SETTLEMENT + "/ram:InvoiceCurrencyCode") == "EUR"

    pdf = pdf_render(invoice=invoice)
    assert_e_invoice_pdf(pdf, xml)
    assert_every_amount_is_printed(xml, pdf, vendor, "EUR")


def test_a_reverse_charge_invoice_to_a_business_in_another_eu_country(db):
    vendor = eu_vendor()
    customer = CustomerFactory(
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
    invoice = charged(
        customer,
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
    xml = invoice_xml(invoice)
    assert_valid(xml)
    assert value(xml, "//ram:BuyerTradeParty/ram:Name") == "Auer Handels GmbH"
    buyer_id = tree(xml).xpath(
        "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS
    )
    assert [(i.get("schemeID"), i.text) for i in buyer_id] == [("VA", "ATU13585627")]
    assert value(xml, "//ram:BuyerTradeParty//ram:CountryID") == "AT"
    assert value(xml, "//ram:BilledQuantity") == "5"
    assert value(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == "20.00"
    breakdown = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert value(xml, breakdown + "/ram:CategoryCode") == "AE"
    assert value(xml, breakdown + "/ram:RateApplicablePercent") == "0.00"
    assert value(xml, breakdown + "/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert value(xml, breakdown + "/ram:ExemptionReason") == "Reverse charge"
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == "100.00"

    pdf = pdf_render(invoice=invoice)
    assert_e_invoice_pdf(pdf, xml)
    assert_every_amount_is_printed(xml, pdf, vendor, "EUR")


def test_us_sales_tax_is_no_vat_but_a_charge_the_grand_total_includes(db):
    vendor = VendorFactory(slug="us-seller", country="US", default_currency="USD")
    customer = CustomerFactory(vendor=vendor, name="Sam Smith", country="US")
    sales_tax = {
        "rate": "10.25",
        "label": "Sales tax (WA)",
        "taxable_amount": "40.00",
        "amount": "4.10",
        "inclusive": False,
        "country": "US",
        "state": "WA",
        "taxability_reason": "standard_rated",
    }
    invoice = charged(
        customer,
        lines=[
            {
                "description": "Course Workbook",
                "quantity": 1,
                "unit_amount": "40.00",
                "amount": "40.00",
                "taxes": [sales_tax],
            }
        ],
        tax_label="Sales tax (WA)",
        tax_amount="4.10",
    )
    xml = invoice_xml(invoice)
    assert_valid(xml)
    assert set(values(xml, "//ram:CategoryCode")) == {"O"}
    assert not values(xml, "//ram:RateApplicablePercent")
    assert values(xml, "//ram:ExemptionReasonCode") == ["VATEX-EU-O"]
    charge = SETTLEMENT + "/ram:SpecifiedTradeAllowanceCharge"
    assert value(xml, charge + "/ram:ChargeIndicator/udt:Indicator") == "true"
    assert value(xml, charge + "/ram:ActualAmount") == "4.10"
    assert value(xml, charge + "/ram:Reason") == "Sales tax (WA)"
    assert value(xml, TOTALS + "/ram:TaxTotalAmount") == "0.00"
    assert value(xml, TOTALS + "/ram:TaxBasisTotalAmount") == "44.10"
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == "44.10"

    pdf = pdf_render(invoice=invoice)
    assert_e_invoice_pdf(pdf, xml)
    assert_every_amount_is_printed(xml, pdf, vendor, "USD")


def test_an_invoice_issued_before_lines_had_taxes(alice):
    """The old snapshot: one line, one tax_label and tax_amount. The rate
    comes from the label, the category is standard."""
    # A seller that charges VAT names its VAT ID (BR-S-02): one set since.
    alice.vendor.country, alice.vendor.vat_id = "GB", "GB980780684"
    alice.vendor.save()
    payment = PaymentFactory(
        order=OrderFactory(customer=alice, amount=Decimal("120.00")), invoice=False
    )
    invoice = invoice_issue(payment=payment, tax_label="VAT 20%", tax_amount=Decimal("20.00"))
    assert "taxes" not in invoice.lines[0]
    xml = invoice_xml(invoice)
    assert_valid(xml)
    breakdown = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert value(xml, breakdown + "/ram:CategoryCode") == "S"
    assert value(xml, breakdown + "/ram:RateApplicablePercent") == "20.00"
    assert value(xml, breakdown + "/ram:BasisAmount") == "100.00"
    assert value(xml, breakdown + "/ram:CalculatedAmount") == "20.00"
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == "120.00"
    # A purchase without a billing period: the date of supply is the day paid.
    assert value(xml, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString")

    pdf = pdf_render(invoice=invoice)
    assert_e_invoice_pdf(pdf, xml)
    assert_every_amount_is_printed(xml, pdf, alice.vendor, "USD")


def test_a_credit_note_refers_to_its_invoice_and_refunds_each_rate_its_share(db):
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
            }
        ],
        tax_label="USt. 19 %",
        tax_amount="19.00",
    )
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=Decimal("59.50"),
        reason="Downgrade",
        refunded_at=timezone.now(),
        processor_ref="re_einvoice",
    )
    credit_note = refund.credit_note
    xml = credit_note_xml(credit_note)
    assert_valid(xml)
    assert value(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert value(xml, "//rsm:ExchangedDocument/ram:ID") == credit_note.number
    reference = SETTLEMENT + "/ram:InvoiceReferencedDocument"
    assert value(xml, reference + "/ram:IssuerAssignedID") == invoice.number
    breakdown = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert value(xml, breakdown + "/ram:CategoryCode") == "S"
    assert value(xml, breakdown + "/ram:BasisAmount") == "50.00"
    assert value(xml, breakdown + "/ram:CalculatedAmount") == "9.50"
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == "59.50"
    assert value(xml, TOTALS + "/ram:DuePayableAmount") == "0.00"

    pdf = credit_note_pdf_render(credit_note=credit_note)
    assert_e_invoice_pdf(pdf, xml)
    text = pdf_text(pdf)
    with translation.override(vendor_language(vendor)):
        assert money(Decimal("59.50"), "EUR", vendor).replace("\xa0", " ") in text


# --- what the cases share -------------------------------------------------------------


def test_a_coupon_is_an_allowance_on_its_rate_and_the_totals_add_up(db):
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
    xml = invoice_xml(invoice)
    assert_valid(xml)
    allowance = SETTLEMENT + "/ram:SpecifiedTradeAllowanceCharge"
    assert values(xml, allowance + "/ram:ActualAmount") == ["20.00", "4.00"]
    assert values(xml, allowance + "/ram:Reason") == ["WELCOME20", "WELCOME20"]
    assert values(xml, allowance + "/ram:CategoryTradeTax/ram:RateApplicablePercent") == [
        "19.00",
        "7.00",
    ]
    breakdown = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert values(xml, breakdown + "/ram:BasisAmount") == ["80.00", "16.00"]
    assert values(xml, breakdown + "/ram:CalculatedAmount") == ["15.20", "1.12"]
    assert value(xml, TOTALS + "/ram:LineTotalAmount") == "120.00"
    assert value(xml, TOTALS + "/ram:AllowanceTotalAmount") == "24.00"
    assert value(xml, TOTALS + "/ram:TaxBasisTotalAmount") == "96.00"
    assert value(xml, TOTALS + "/ram:TaxTotalAmount") == "16.32"
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == str(invoice.total) == "112.32"


def test_a_small_business_is_exempt_with_its_tax_note_as_the_reason(alice):
    note = "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet."
    vendor = alice.vendor
    # Exempt, it still names its tax number (§ 14 UStG; BR-E-02).
    vendor.country, vendor.tax_note, vendor.tax_number = "DE", note, "93815/08152"
    vendor.save()
    invoice = PaymentFactory(order=OrderFactory(customer=alice, amount=Decimal("49.00"))).invoice
    xml = invoice_xml(invoice)
    assert_valid(xml)
    breakdown = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert value(xml, breakdown + "/ram:CategoryCode") == "E"
    assert value(xml, breakdown + "/ram:ExemptionReason") == note
    assert value(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content") == note


@pytest.mark.parametrize(
    ("currency", "country", "amount", "printed"),
    [("JPY", "JP", "5000", "5000"), ("EUR", "IE", "12.50", "12.50")],
)
def test_amounts_have_the_currencys_decimals(db, currency, country, amount, printed):
    vendor = VendorFactory(
        slug=f"seller-{currency.lower()}", default_currency=currency, country=country
    )
    customer = CustomerFactory(vendor=vendor)
    invoice = PaymentFactory(order=OrderFactory(customer=customer, amount=Decimal(amount))).invoice
    invoice.refresh_from_db()
    xml = invoice_xml(invoice)
    assert_valid(xml)
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == printed
    assert value(xml, TOTALS + "/ram:TaxBasisTotalAmount") == printed


@pytest.mark.parametrize("currency", ["KWD", "BHD", "JOD", "OMR", "TND", "IQD", "LYD"])
def test_a_three_decimal_currency_has_no_e_invoice(db, currency):
    """EN 16931 allows two decimals per amount (BR-DEC): rather than round
    what was charged, the invoice and its credit note stay plain PDFs."""
    vendor = VendorFactory(slug=f"seller-{currency.lower()}", default_currency=currency)
    customer = CustomerFactory(vendor=vendor)
    order = OrderFactory(customer=customer, amount=Decimal("12.345"), currency=currency)
    invoice = PaymentFactory(order=order, currency=currency).invoice
    invoice.refresh_from_db()
    assert invoice.currency == currency
    refund, _ = refund_record(
        payment=invoice.payment,
        amount=Decimal("2.005"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref=f"re_{currency}",
    )
    for pdf in (
        pdf_render(invoice=invoice),
        credit_note_pdf_render(credit_note=refund.credit_note),
    ):
        reader = PdfReader(io.BytesIO(pdf))
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
        assert reader.attachments == {}
        assert b"fx:" not in xmp and b"pdfaid" not in xmp
        assert b'pdfuaid:part="1"' in xmp  # still tagged for screen readers
    with pytest.raises(NoEinvoice):
        invoice_xml(invoice)
    with pytest.raises(NoEinvoice):
        credit_note_xml(refund.credit_note)


def test_the_same_invoice_gives_the_same_xml_and_attachment(alice):
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    assert invoice_xml(invoice) == invoice_xml(invoice)
    first = PdfReader(io.BytesIO(pdf_render(invoice=invoice))).attachments
    second = PdfReader(io.BytesIO(pdf_render(invoice=invoice))).attachments
    assert first == second


def test_a_price_including_its_tax_is_stated_net(db):
    """EN 16931 knows net line amounts only: a consumer price of 119 € with
    19 % VAT in it is a line of 100 € and 19 € VAT."""
    vendor = eu_vendor()
    customer = CustomerFactory(vendor=vendor, name="Berta Berg", country="DE")
    invoice = charged(
        customer,
        lines=[
            {
                "description": "Pro plan",
                "quantity": 1,
                "unit_amount": "119.00",
                "amount": "119.00",
                "taxes": [vat("19", "100.00", "19.00", inclusive=True)],
            }
        ],
        tax_label="USt. 19 %",
        tax_amount="0.00",  # included in the line: the total is the line's amount
    )
    xml = invoice_xml(invoice)
    assert_valid(xml)
    assert (
        value(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
        == "100.00"
    )
    assert value(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:BasisAmount") == "100.00"
    assert value(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:CalculatedAmount") == "19.00"
    assert value(xml, TOTALS + "/ram:GrandTotalAmount") == str(invoice.total) == "119.00"


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a0b6a6f50000000049454e44ae426082"
)


@pytest.mark.parametrize("document", ["invoice", "credit note"])
def test_the_sellers_logo_is_not_interpolated_as_pdf_a_requires(alice, document):
    name = default_storage.save("logos/einvoice.png", ContentFile(PNG_1PX))
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    Invoice.objects.filter(pk=invoice.pk).update(seller=invoice.seller | {"logo": name})
    invoice.refresh_from_db()
    if document == "invoice":
        pdf = pdf_render(invoice=invoice)
    else:
        refund, _ = refund_record(
            payment=invoice.payment,
            amount=Decimal("1.00"),
            reason="",
            refunded_at=timezone.now(),
            processor_ref="re_logo",
        )
        credit_note = refund.credit_note
        CreditNote.objects.filter(pk=credit_note.pk).update(
            seller=credit_note.seller | {"logo": name}
        )
        credit_note.refresh_from_db()
        pdf = credit_note_pdf_render(credit_note=credit_note)
    images = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/XObject"]
    images = [image.get_object() for image in images.values()]
    assert images
    # pypdf's BooleanObject compares equal to the bool it holds.
    assert [image["/Interpolate"] for image in images] == [False] * len(images)


def test_the_sellers_country_and_account_are_those_of_the_day_of_issue(db):
    """An invoice is a snapshot: a vendor who later moves or renames its
    account does not change the seller of invoices already issued."""
    vendor = VendorFactory(slug="us-seller", country="US", default_currency="USD")
    customer = CustomerFactory(vendor=vendor, name="Sam Smith", country="US")
    invoice = PaymentFactory(order=OrderFactory(customer=customer, amount=Decimal("40.00"))).invoice
    vendor.slug, vendor.country = "renamed-seller", "CA"
    vendor.save()

    xml = invoice_xml(Invoice.objects.get(pk=invoice.pk))
    seller = "//ram:SellerTradeParty"
    assert value(xml, seller + "/ram:ID") == "us-seller"
    assert value(xml, seller + "/ram:PostalTradeAddress/ram:CountryID") == "US"
