"""An invoice's tax per rate, and each rate's EN 16931 VAT category.

One derivation of the tax per rate (`invoice_tax_rates`), read by the
printed invoice (Invoice.tax_rates_shown), its credit notes
(billing.documents.credit_notes) and the e-invoice
(billing.documents.einvoice_figures); and one mapper from what the
processor said about a tax to its category (`tax_category`), used when the
snapshot is taken (billing.processors.charged) and for the entries of older
snapshots that name none. The PDF and the XML read the same list, so they
cannot disagree.

We never calculate tax: every rate and amount is the processor's; only the
per-rate sums of what the lines state are added up, and an invoice issued
before rates were recorded gets one rate from its single tax label and
amount.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

# UNTDID 5305 VAT categories: standard, reverse charge, exempt, zero rated,
# outside the scope of VAT.
STANDARD, REVERSE_CHARGE, EXEMPT, ZERO, OUTSIDE = "S", "AE", "E", "Z", "O"

# Stripe's taxability reasons (Tax Calculation API) per category.
EXEMPT_REASONS = frozenset(
    {"customer_exempt", "product_exempt", "product_exempt_holiday", "portion_product_exempt"}
)
OUTSIDE_REASONS = frozenset(
    {
        "not_collecting",
        "not_subject_to_tax",
        "not_supported",
        "not_available",
        "excluded_territory",
        "jurisdiction_unsupported",
    }
)
# Sales taxes (the US's above all) are no VAT: outside the scope of EN 16931's VAT.
SALES_TAX_TYPES = frozenset(
    {"sales_tax", "amusement_tax", "communications_tax", "retail_delivery_fee"}
)
SALES_TAX_COUNTRIES = frozenset({"US"})


def decimal_or(value: Any, default: str = "0") -> Decimal:
    """A snapshot's amount or rate (a string, or empty) as a Decimal."""
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(default)
    except InvalidOperation:
        return Decimal(default)


def tax_category(
    *,
    rate: Decimal | str | None,
    taxability_reason: str = "",
    tax_type: str = "",
    country: str = "",
    label: str = "",
    amount: Decimal | str | None = None,
    exempt_note: bool = False,
) -> str:
    """The EN 16931 VAT category of a tax the processor charged: AE reverse
    charge, E exempt, Z zero rated (by the processor's taxability reason);
    O outside the scope of VAT for a sales tax (its type, a US jurisdiction,
    or a label that says so) or a reason that says no tax applies; S for a
    rate or an amount charged; else E when the seller states an exemption
    (`exempt_note`: the small business's tax note), Z otherwise."""
    if taxability_reason == "reverse_charge":
        return REVERSE_CHARGE
    if taxability_reason in EXEMPT_REASONS:
        return EXEMPT
    if taxability_reason == "zero_rated":
        return ZERO
    if (
        tax_type in SALES_TAX_TYPES
        or (country or "").upper() in SALES_TAX_COUNTRIES
        or taxability_reason in OUTSIDE_REASONS
        or "sales tax" in (label or "").lower()
    ):
        return OUTSIDE
    if decimal_or(rate) > 0 or decimal_or(amount):
        return STANDARD  # a tax was charged, at a rate the snapshot may have lost
    return EXEMPT if exempt_note else ZERO


def tax_entry_category(tax: dict, *, seller: dict) -> str:
    """The category of one tax entry of a snapshot (a line's or a rate's):
    as the snapshot names it, else by `tax_category`."""
    if tax.get("category"):
        return str(tax["category"])
    return tax_category(
        rate=tax.get("rate"),
        taxability_reason=str(tax.get("taxability_reason") or ""),
        tax_type=str(tax.get("tax_type") or ""),
        country=str(tax.get("country") or ""),
        label=str(tax.get("label") or ""),
        amount=tax.get("amount"),
        exempt_note=bool(seller.get("tax_note")),
    )


def _from_lines(invoice) -> list[dict]:
    """Per rate, summed from the lines' taxes: each line's taxable amount,
    else what it was charged on (its amount less its discounts)."""
    totals: dict[tuple, dict] = {}
    for line in invoice.lines:
        for tax in line.get("taxes") or []:
            category = tax_entry_category(tax, seller=invoice.seller)
            key = (
                str(tax.get("rate") or ""),
                str(tax.get("label") or ""),
                str(tax.get("taxability_reason") or ""),
                bool(tax.get("inclusive")),
                category,
            )
            if tax.get("taxable_amount") not in (None, ""):
                taxable = decimal_or(tax["taxable_amount"])
            else:
                taxable = decimal_or(line.get("amount")) - sum(
                    (decimal_or(d.get("amount")) for d in line.get("discounts") or []),
                    Decimal("0"),
                )
            entry = totals.setdefault(
                key,
                {
                    "rate": str(tax.get("rate") or ""),
                    "label": str(tax.get("label") or ""),
                    "inclusive": bool(tax.get("inclusive")),
                    "taxable_amount": Decimal("0"),
                    "amount": Decimal("0"),
                    "taxability_reason": str(tax.get("taxability_reason") or ""),
                    "category": category,
                },
            )
            entry["taxable_amount"] += taxable
            entry["amount"] += decimal_or(tax.get("amount"))
    return [
        entry | {"taxable_amount": str(entry["taxable_amount"]), "amount": str(entry["amount"])}
        for entry in totals.values()
    ]


def _from_single_tax(invoice) -> list[dict]:
    """The one rate of an invoice issued before rates were recorded (one
    tax_label and tax_amount): the rate its label states ("VAT 19%"), else
    worked out from what it was charged on (the subtotal less discounts)."""
    net = decimal_or(invoice.subtotal) - sum(
        (decimal_or(d.get("amount")) for d in getattr(invoice, "discounts", None) or []),
        Decimal("0"),
    )
    tax = decimal_or(invoice.tax_amount)
    found = re.search(r"(\d+(?:[.,]\d+)?)\s*%", invoice.tax_label or "")
    if found:
        rate = decimal_or(found.group(1).replace(",", "."))
    elif tax and net:
        rate = (tax * 100 / net).quantize(Decimal("0.01"))
    else:
        rate = Decimal("0")
    if getattr(invoice, "reverse_charge", False):
        category = REVERSE_CHARGE
    elif tax:
        # Standard, or a sales tax by its label ("Sales tax (OR)").
        category = tax_category(rate=rate, label=invoice.tax_label, amount=tax)
    else:
        # A small business's exemption note (§ 19 UStG and the like) makes it
        # exempt; otherwise no tax was charged: outside the scope of VAT.
        category = EXEMPT if invoice.seller.get("tax_note") else OUTSIDE
    return [
        {
            "rate": f"{rate.normalize() + 0:f}",
            "label": invoice.tax_label,
            "inclusive": False,
            "taxable_amount": str(net),
            "amount": str(tax),
            "taxability_reason": "",
            "category": category,
        }
    ]


def invoice_tax_rates(invoice) -> list[dict]:
    """The invoice's tax per rate, each with its category and its amounts as
    strings: as charged (the `tax_rates` snapshot; entries that name no
    category get one), else summed from its lines' taxes; an invoice whose
    lines state taxes and none was charged has none. An invoice issued
    before lines had taxes gets one rate from its tax label and amount."""
    rates = list(getattr(invoice, "tax_rates", None) or [])
    if rates:
        return [
            entry
            if entry.get("category")
            else entry | {"category": tax_entry_category(entry, seller=invoice.seller)}
            for entry in rates
        ]
    if any("taxes" in line for line in invoice.lines):
        return _from_lines(invoice)
    return _from_single_tax(invoice)
