"""E-invoices: the EN 16931 XML (UN/CEFACT CII, Factur-X / ZUGFeRD profile
EN 16931) of an invoice or credit note, built with drafthorse from the
document's immutable snapshot.

The same bytes go into the PDF (billing.documents.pdf embeds them as
factur-x.xml) and out as their own download, so accounting software reads
exactly what the customer's PDF says. We never calculate tax: every tax
amount is the one the processor charged; only the sums EN 16931 asks for
(line total, tax basis, grand total, amount due) are added up here, from the
same snapshot the PDF prints.

The figures (lines, allowances, charges, VAT per rate) come from
billing.documents.einvoice_figures.

Amounts carry the currency's decimals (ISO 4217), as everywhere else; a
currency with more than EN 16931 allows has no e-invoice (`einvoice_exists`).
Validation against the schema drafthorse ships, and against EN 16931's
business rules (CEN's and Factur-X's schematron, tests/support/
en16931_rules.py), happens in the tests, not per download: loading the XSD
costs more than building the document, and the rules need Saxon.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from drafthorse.models.accounting import (
    ApplicableTradeTax,
    CategoryTradeTax,
    TradeAllowanceCharge,
)
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import PostalTradeAddress, TaxRegistration, TradeParty
from drafthorse.models.payment import PaymentMeans
from drafthorse.models.tradelines import LineItem

from billing.models import CreditNote, Invoice, Processor
from billing.money import currency_exponent
from vendors.formatting import vendor_zone

from .einvoice_figures import (
    NO_RATE_CATEGORIES,
    REASONS,
    Figures,
    credit_note_figures,
    invoice_figures,
)
from .tax_rates import OUTSIDE, decimal_or

# The profile: Factur-X / ZUGFeRD "EN 16931" (COMFORT), the full core
# invoice, which German and French recipients must accept.
GUIDELINE = "urn:cen.eu:en16931:2017"
XML_FILENAME = "factur-x.xml"

INVOICE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"  # UNTDID 1001: credit note
UNIT = "C62"  # UN/ECE Rec 20: "one", a unit of whatever the line sells

# UNTDID 4461 payment means: bank card, online payment service, other.
CARD, ONLINE, OTHER = "48", "68", "ZZZ"


# EN 16931 states every amount with at most two decimals: CEN's validation
# rules BR-DEC-01 to BR-DEC-28 (e.g. BR-DEC-12, the invoice total without VAT,
# BT-109; BR-DEC-23, a line's net amount, BT-131). A document in a currency
# whose minor unit has three decimals (KWD, BHD, JOD, OMR, TND, IQD, LYD) could
# only become one by rounding what was charged, and an e-invoice whose amounts
# are not the invoice's is a wrong invoice. So those documents have none: no
# XML download, nothing embedded, their PDF a plain (tagged) PDF.
EINVOICE_MAX_DECIMALS = 2


class NoEinvoice(ValueError):
    """The document's currency has more decimals than EN 16931 allows."""


def einvoice_exists(*, currency: str) -> bool:
    """Whether a document in `currency` can be an EN 16931 e-invoice."""
    return currency_exponent(currency) <= EINVOICE_MAX_DECIMALS


def _einvoice_check(currency: str) -> None:
    if not einvoice_exists(currency=currency):
        raise NoEinvoice(f"no EN 16931 e-invoice in {currency}: more than two decimals")


# --- parties -------------------------------------------------------------------

VAT_PREFIX_COUNTRIES = {"EL": "GR", "XI": "GB"}


def _address(party: TradeParty, lines: list[str], country: str) -> None:
    """A free-text address as EN 16931's lines, post code and city: the last
    line (the country's name, when it is there, dropped) holds the city."""
    lines = [line.strip() for line in lines if line and line.strip()]
    address: PostalTradeAddress = party.address
    if lines:
        *street, last = lines
        us = re.fullmatch(r"(.+?),?\s+([A-Z]{2})\s+(\d{5}(?:-\d{4})?)", last)
        europe = re.fullmatch(r"([A-Z]{0,2}-?\d[\dA-Z -]{2,8}?)\s+(\D.*)", last)
        if us:
            address.city_name, address.country_subdivision = us.group(1), us.group(2)
            address.postcode = us.group(3)
        elif europe:
            address.postcode, address.city_name = europe.group(1), europe.group(2)
        else:
            address.city_name = last
        for name, text in zip(("line_one", "line_two", "line_three"), street, strict=False):
            setattr(address, name, text)
    address.country_id = country or "ZZ"


def _seller(document: Document, seller: dict, vendor, *, outside_vat: bool) -> None:
    party = document.trade.agreement.seller
    party.name = seller.get("legal_name") or seller.get("name") or vendor.name
    if seller.get("legal_name") and seller.get("name") and seller["name"] != seller["legal_name"]:
        party.legal_organization.trade_name = seller["name"]
    vat_id = (seller.get("vat_id") or "").replace(" ", "").upper()
    # Older snapshots kept neither: the vendor's own, as it is now.
    country = (seller.get("country") or getattr(vendor, "country", "") or "").upper()
    if not country and vat_id[:2].isalpha():
        country = VAT_PREFIX_COUNTRIES.get(vat_id[:2], vat_id[:2])
    address = seller.get("registered_address") or seller.get("address") or ""
    _address(party, address.splitlines(), country)
    if seller.get("support_email"):
        party.contact.email.address = seller["support_email"]
        party.electronic_address.uri_ID = ("EM", seller["support_email"])
    # BR-O-02: a document outside the scope of VAT names no VAT ID.
    if vat_id and not outside_vat:
        party.tax_registrations.add(TaxRegistration(id=("VA", vat_id)))
    elif seller.get("account") or getattr(vendor, "slug", ""):
        # BR-CO-26: a buyer's software files the invoice under its seller by
        # the VAT ID, else by a seller identifier (BT-29); a tax number is
        # neither (BT-32). Without a VAT ID on the document (a seller that
        # has none, a US sale), the seller's account at the hub identifies it.
        party.id = seller.get("account") or vendor.slug
    if seller.get("tax_number"):
        party.tax_registrations.add(TaxRegistration(id=("FC", seller["tax_number"])))


def _buyer(document: Document, buyer: dict, *, outside_vat: bool) -> None:
    party = document.trade.agreement.buyer
    party.name = buyer.get("company") or buyer.get("name") or buyer.get("email") or "-"
    if buyer.get("company") and buyer.get("name"):
        party.contact.person_name = buyer["name"]
    lines = list(buyer.get("address") or [])
    if buyer.get("country") and lines and lines[-1] == buyer.get("country_name"):
        lines = lines[:-1]
    tax_id = buyer.get("tax_id") or ""
    vat = bool(tax_id) and str(buyer.get("tax_id_type") or "").endswith("_vat")
    country = (buyer.get("country") or "").upper()
    if not country and vat and tax_id[:2].isalpha():
        # BR-11, BR-CL-14: a business that gave its VAT ID but no address is
        # in the country the ID's prefix names (the seller's way, above).
        country = VAT_PREFIX_COUNTRIES.get(tax_id[:2].upper(), tax_id[:2].upper())
    _address(party, lines, country)
    if buyer.get("email"):
        party.electronic_address.uri_ID = ("EM", buyer["email"])
    if vat:
        if not outside_vat:
            party.tax_registrations.add(TaxRegistration(id=("VA", tax_id)))
    elif tax_id:
        # Another kind of registration (an ABN, a Swiss UID): the buyer's
        # legal registration identifier.
        party.legal_organization.id = ("", tax_id)


# --- the document ------------------------------------------------------------------


def _issue_date(issued_at: datetime, vendor) -> date:
    """The date printed on the document: in the vendor's time zone."""
    return timezone.localtime(issued_at, vendor_zone(vendor)).date()


def _document(
    *, number: str, type_code: str, issued: date, seller: dict, currency: str
) -> Document:
    document = Document()
    document.context.guideline_parameter.id = GUIDELINE
    document.header.id = number
    document.header.type_code = type_code
    document.header.issue_date_time = issued
    if seller.get("tax_note"):
        note = IncludedNote()
        note.content = seller["tax_note"]
        document.header.notes.add(note)
    document.trade.settlement.currency_code = currency
    return document


def _settle(
    document: Document,
    figures: Figures,
    *,
    currency: str,
    paid: Decimal,
    period: tuple[date, date] | None = None,
) -> None:
    """Lines, allowances and charges, VAT breakdown and totals (BR-CO-10 to
    BR-CO-16 hold by construction: each total is the sum of its parts)."""
    quantum = Decimal(1).scaleb(-currency_exponent(currency))
    for number, line in enumerate(figures.lines, start=1):
        item = LineItem()
        item.document.line_id = str(number)
        item.product.name = line.description
        item.agreement.net.amount = line.price
        item.delivery.billed_quantity = (line.quantity, UNIT)
        category, rate = line.key
        item.settlement.trade_tax.type_code = "VAT"
        item.settlement.trade_tax.category_code = category
        if category not in NO_RATE_CATEGORIES:
            item.settlement.trade_tax.rate_applicable_percent = rate
        if line.period:
            item.settlement.period.start, item.settlement.period.end = line.period
        item.settlement.monetary_summation.total_amount = line.net
        document.trade.items.add(item)
    for group in figures.groups.values():
        tax = ApplicableTradeTax()
        tax.calculated_amount = group.tax
        tax.type_code = "VAT"
        if group.reason:
            tax.exemption_reason = group.reason
        tax.basis_amount = group.basis
        tax.category_code = group.category
        code = REASONS.get(group.category, ("", ""))[1]
        if code:
            tax.exemption_reason_code = code
        if group.category not in NO_RATE_CATEGORIES:
            tax.rate_applicable_percent = group.rate
        document.trade.settlement.trade_tax.add(tax)
    periods = [line.period for line in figures.lines if line.period]
    if periods:
        # The invoice's supply period (BG-14): the snapshot's own, else
        # from the first line's start to the last line's end.
        document.trade.settlement.period.start = period[0] if period else min(p[0] for p in periods)
        document.trade.settlement.period.end = period[1] if period else max(p[1] for p in periods)
    elif period:
        document.trade.settlement.period.start, document.trade.settlement.period.end = period
    for adjustment in figures.adjustments:
        allowance = TradeAllowanceCharge()
        allowance.indicator = adjustment.charge
        allowance.actual_amount = adjustment.amount
        allowance.reason = adjustment.reason
        category, rate = adjustment.key
        trade_tax = CategoryTradeTax()
        trade_tax.type_code = "VAT"
        trade_tax.category_code = category
        if category not in NO_RATE_CATEGORIES:
            trade_tax.rate_applicable_percent = rate
        allowance.trade_tax.add(trade_tax)
        document.trade.settlement.allowance_charge.add(allowance)
    summation = document.trade.settlement.monetary_summation
    line_total = figures.line_total.quantize(quantum)
    charges = figures.adjustment_total(charge=True).quantize(quantum)
    allowances = figures.adjustment_total(charge=False).quantize(quantum)
    basis = line_total - allowances + charges
    tax_total = figures.tax_total.quantize(quantum)
    grand_total = basis + tax_total
    summation.line_total = line_total
    summation.charge_total = charges
    summation.allowance_total = allowances
    summation.tax_basis_total = basis
    summation.tax_total = (tax_total, currency)
    summation.grand_total = grand_total
    summation.prepaid_total = paid.quantize(quantum)
    summation.due_amount = (grand_total - paid).quantize(quantum)


def _payment_means(document: Document, *, processor: str, card: bool, paid_via: str) -> None:
    means = PaymentMeans()
    means.type_code = CARD if card else ONLINE if processor == Processor.PAYPAL else OTHER
    if paid_via:
        means.information.add(paid_via)
    document.trade.settlement.payment_means.add(means)


def _outside_vat(figures: Figures) -> bool:
    return bool(figures.groups) and all(k[0] == OUTSIDE for k in figures.groups)


def _serialize(document: Document) -> bytes:
    return document.serialize(schema=None)


def invoice_xml(invoice: Invoice) -> bytes:
    """The invoice as EN 16931 CII XML (Factur-X / ZUGFeRD, profile EN 16931).
    NoEinvoice for a currency EN 16931 cannot state (`einvoice_exists`)."""
    _einvoice_check(invoice.currency)
    vendor = invoice.vendor
    figures = invoice_figures(invoice)
    issued = _issue_date(invoice.issued_at, vendor)
    document = _document(
        number=invoice.number,
        type_code=INVOICE,
        issued=issued,
        seller=invoice.seller,
        currency=invoice.currency,
    )
    outside_vat = _outside_vat(figures)
    _seller(document, invoice.seller, vendor, outside_vat=outside_vat)
    _buyer(document, invoice.buyer, outside_vat=outside_vat)
    payment = invoice.payment
    if payment.order_number:
        document.trade.agreement.seller_order.issuer_assigned_id = payment.order_number
    if not any(line.period for line in figures.lines) and not getattr(invoice, "period_end", None):
        # The date of supply (§ 14 UStG): a purchase is supplied when paid.
        document.trade.delivery.event.occurrence = issued
    _payment_means(
        document,
        processor=payment.processor,
        card=bool(payment.card_brand and payment.card_last4),
        paid_via=invoice.paid_via,
    )
    # Invoices are issued for paid payments only; a snapshot without the
    # amount paid (older ones) was paid in full.
    paid = decimal_or(getattr(invoice, "amount_paid", None)) or (
        figures.line_total
        - figures.adjustment_total(charge=False)
        + figures.adjustment_total(charge=True)
        + figures.tax_total
    )
    start, end = getattr(invoice, "period_start", None), getattr(invoice, "period_end", None)
    period = (start, end) if start and end else None
    _settle(document, figures, currency=invoice.currency, paid=paid, period=period)
    return _serialize(document)


def credit_note_xml(credit_note: CreditNote) -> bytes:
    """The credit note as EN 16931 CII XML (type 381), referring to the
    invoice it corrects (BT-25, BT-26). NoEinvoice as for invoices."""
    _einvoice_check(credit_note.currency)
    vendor = credit_note.vendor
    invoice = credit_note.invoice
    figures = credit_note_figures(credit_note)
    issued = _issue_date(credit_note.issued_at, vendor)
    document = _document(
        number=credit_note.number,
        type_code=CREDIT_NOTE,
        issued=issued,
        seller=credit_note.seller,
        currency=credit_note.currency,
    )
    outside_vat = _outside_vat(figures)
    _seller(document, credit_note.seller, vendor, outside_vat=outside_vat)
    _buyer(document, credit_note.buyer, outside_vat=outside_vat)
    document.trade.delivery.event.occurrence = _issue_date(invoice.issued_at, vendor)
    reference = document.trade.settlement.invoice_referenced_document
    reference.issuer_assigned_id = invoice.number
    reference.issue_date_time = _issue_date(invoice.issued_at, vendor)
    if credit_note.reason:
        note = IncludedNote()
        note.content = credit_note.reason
        document.header.notes.add(note)
    # The refund has been paid out: nothing is due either way.
    total = figures.line_total + figures.tax_total
    _settle(document, figures, currency=credit_note.currency, paid=total)
    return _serialize(document)


def invoice_xml_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number}.xml"


def credit_note_xml_filename(credit_note: CreditNote) -> str:
    return f"credit-note-{credit_note.number}.xml"
