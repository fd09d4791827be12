"""An invoice's snapshot as the processor charged it: lines with their
periods, discounts and taxes, the discounts per coupon, the tax per rate,
what was paid, and whether the charge was reverse charge.

We never compute tax: every rate, label and amount here is the processor's.
What we do is add up what it stated (the per-rate totals from the lines when
the processor gives no taxable amount) and name each rate's EN 16931 VAT
category from the processor's own taxability reason, by the one mapper the
documents use (billing.documents.tax_rates), so the e-invoice and the PDF
say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing.documents.tax_rates import tax_category
from vendors.formatting import vendor_zone

from .adapters.base import ChargedTax, InvoiceLine, ProcessorInvoice


def _money(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _rate(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def _day(moment: datetime | None, zone) -> date | None:
    return timezone.localtime(moment, zone).date() if moment is not None else None


def _tax_dict(tax: ChargedTax) -> dict[str, Any]:
    return {
        "rate": _rate(tax.rate),
        "label": tax.label,
        "taxable_amount": _money(tax.taxable_amount),
        "amount": str(tax.amount),
        "inclusive": tax.inclusive,
        "country": tax.country,
        "state": tax.state,
        "taxability_reason": tax.taxability_reason,
    }


def _line_dict(line: InvoiceLine, zone) -> dict[str, Any]:
    quantity = line.quantity or 1
    unit = line.unit_amount if line.unit_amount is not None else line.amount / quantity
    snapshot: dict[str, Any] = {
        "description": line.description,
        "quantity": line.quantity,
        "unit_amount": str(unit),
        "amount": str(line.amount),
        "proration": line.proration,
        "discounts": [{"name": d.name, "amount": str(d.amount)} for d in line.discounts],
        "taxes": [_tax_dict(tax) for tax in line.taxes],
    }
    start, end = _day(line.period_start, zone), _day(line.period_end, zone)
    # A one-off item's "period" is the moment it was added: no period to print.
    if start and end and line.period_start != line.period_end:
        snapshot |= {"period_start": start.isoformat(), "period_end": end.isoformat()}
    return snapshot


def _line_taxable(lines: Iterable[InvoiceLine], tax: ChargedTax) -> Decimal:
    """The amount a rate was charged on, added up from the lines that carry
    it, when the processor states none (each line's own taxable amount, else
    its amount less its discounts)."""
    total = Decimal("0")
    for line in lines:
        for line_tax in line.taxes:
            if (line_tax.rate, line_tax.label, line_tax.inclusive) != (
                tax.rate,
                tax.label,
                tax.inclusive,
            ):
                continue
            if line_tax.taxable_amount is not None:
                total += line_tax.taxable_amount
            else:
                total += line.amount - sum((d.amount for d in line.discounts), Decimal("0"))
    return total


def tax_rates_of(remote: ProcessorInvoice, *, exempt_note: bool = False) -> list[dict[str, Any]]:
    """One entry per rate (the processor's total_taxes, merged per rate,
    label, inclusiveness and reason), with its EN 16931 category
    (`exempt_note`: the seller states an exemption, see tax_category)."""
    merged: dict[tuple, dict[str, Any]] = {}
    for tax in remote.taxes:
        key = (tax.rate, tax.label, tax.inclusive, tax.taxability_reason)
        taxable = tax.taxable_amount
        if taxable is None:
            taxable = _line_taxable(remote.lines, tax)
        entry = merged.get(key)
        if entry is None:
            merged[key] = {
                "rate": _rate(tax.rate),
                "label": tax.label,
                "inclusive": tax.inclusive,
                "taxable_amount": taxable,
                "amount": tax.amount,
                "taxability_reason": tax.taxability_reason,
                "category": tax_category(
                    rate=tax.rate,
                    taxability_reason=tax.taxability_reason,
                    tax_type=tax.tax_type,
                    country=tax.country,
                    label=tax.label,
                    amount=tax.amount,
                    exempt_note=exempt_note,
                ),
            }
        else:
            entry["taxable_amount"] += taxable
            entry["amount"] += tax.amount
    return [
        entry | {"taxable_amount": str(entry["taxable_amount"]), "amount": str(entry["amount"])}
        for entry in merged.values()
    ]


def charged_snapshot(*, remote: ProcessorInvoice, vendor) -> dict[str, Any]:
    """The Invoice fields (and the buyer's tax IDs as printed) for an invoice
    the processor charged, for billing.documents.invoices.invoice_issue."""
    zone = vendor_zone(vendor)
    lines = [_line_dict(line, zone) for line in remote.lines]
    rates = tax_rates_of(remote, exempt_note=bool(vendor.tax_note))
    tax_amount = sum((Decimal(entry["amount"]) for entry in rates), Decimal("0"))
    starts = [line["period_start"] for line in lines if "period_start" in line]
    ends = [line["period_end"] for line in lines if "period_end" in line]
    subtotal = remote.subtotal
    if subtotal is None:
        subtotal = sum((line.amount for line in remote.lines), Decimal("0"))
    reasons = {tax.taxability_reason for tax in remote.taxes}
    return {
        "lines": lines,
        "subtotal": subtotal,
        "discounts": [{"name": d.name, "amount": str(d.amount)} for d in remote.discounts],
        "tax_rates": rates,
        "tax_amount": tax_amount,
        # The one label of a single-rate invoice, for what reads tax_label.
        "tax_label": rates[0]["label"][:60] if len(rates) == 1 else "",
        "total": remote.total,
        "amount_paid": remote.amount_paid,
        "reverse_charge": "reverse_charge" in reasons or remote.customer_tax_exempt == "reverse",
        "period_start": date.fromisoformat(min(starts)) if starts else None,
        "period_end": date.fromisoformat(max(ends)) if ends else None,
        "customer_tax_ids": list(remote.customer_tax_ids),
    }
