"""The figures of an e-invoice (billing.documents.einvoice), from an
invoice's or credit note's snapshot: its lines, the discounts and charges at
document level, and the VAT breakdown per category and rate, in the
currency's decimals. The XML module only writes them out.

How the snapshot maps onto EN 16931:
- Lines carry the amount before discounts (Stripe's line.amount); the
  discounts become document-level allowances (BG-20), one per coupon and VAT
  rate, as the PDF prints them under the subtotal. A line whose price
  includes its tax (EN 16931 knows only net amounts) is stated net, its
  discount already taken off (Stripe's taxable_amount).
- Each rate (billing.documents.tax_rates: the same rates the PDF prints)
  becomes a VAT breakdown (BG-23) with its category: S standard, AE reverse
  charge, E exempt (a small business: the seller's tax note is the reason),
  Z zero rated, O outside the scope of VAT. US sales tax is no VAT: its lines
  are category O and the tax a document-level charge (BG-21), so that the
  grand total is still what was charged.
- Invoices issued before the snapshot had per-line taxes (one tax_label and
  tax_amount) get the one rate derived from those two.

We never calculate tax: every tax amount is the one the processor charged;
only the sums EN 16931 asks for are added up here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from billing.models import CreditNote, Invoice
from billing.money import currency_exponent

from .tax_rates import (
    EXEMPT,
    OUTSIDE,
    REVERSE_CHARGE,
    ZERO,
    decimal_or,
    invoice_tax_rates,
    tax_entry_category,
)

# The reasons EN 16931 wants for the categories that charge no VAT
# (BR-AE-10, BR-E-10, BR-O-10), as text and as VATEX code.
NO_RATE_CATEGORIES = {OUTSIDE}
REASONS = {
    REVERSE_CHARGE: ("Reverse charge", "VATEX-EU-AE"),
    EXEMPT: ("Exempt from VAT", ""),
    OUTSIDE: ("Not subject to VAT", "VATEX-EU-O"),
}


def percent(value) -> Decimal:
    return decimal_or(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the figures -----------------------------------------------------------------


@dataclass
class Group:
    """One VAT breakdown row: a category and rate, its basis and its tax."""

    category: str
    rate: Decimal
    reason: str = ""
    basis: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")


@dataclass
class Line:
    description: str
    quantity: Decimal
    price: Decimal
    net: Decimal
    key: tuple[str, Decimal]
    period: tuple[date, date] | None


@dataclass
class Adjustment:
    """A document-level allowance (a discount) or charge (a sales tax)."""

    charge: bool
    reason: str
    amount: Decimal
    key: tuple[str, Decimal]


@dataclass
class Figures:
    lines: list[Line] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    groups: dict[tuple[str, Decimal], Group] = field(default_factory=dict)

    @property
    def line_total(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal("0"))

    def adjustment_total(self, *, charge: bool) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.charge == charge), Decimal("0"))

    @property
    def tax_total(self) -> Decimal:
        return sum((group.tax for group in self.groups.values()), Decimal("0"))


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _group_key(tax: dict | None, *, seller: dict, default: tuple[str, Decimal]):
    if tax is None:
        return default
    category = tax_entry_category(tax, seller=seller)
    rate = Decimal("0") if category in NO_RATE_CATEGORIES else percent(tax.get("rate"))
    if category in {REVERSE_CHARGE, EXEMPT, ZERO}:
        rate = Decimal("0.00")
    return category, rate


def _reason(category: str, seller: dict) -> str:
    if category == EXEMPT and seller.get("tax_note"):
        return seller["tax_note"]
    return REASONS.get(category, ("", ""))[0]


def _group(key: tuple[str, Decimal], seller: dict) -> Group:
    return Group(key[0], key[1], reason=_reason(key[0], seller))


def invoice_figures(invoice: Invoice) -> Figures:
    """The invoice's lines, allowances, charges and VAT breakdown, in the
    currency's decimals."""
    quantum = Decimal(1).scaleb(-currency_exponent(invoice.currency))
    seller = invoice.seller
    figures = Figures()
    rates = invoice_tax_rates(invoice)
    vat_keys = []
    for tax in rates:
        key = _group_key(tax, seller=seller, default=(OUTSIDE, Decimal("0")))
        group = figures.groups.setdefault(key, _group(key, seller))
        amount = decimal_or(tax.get("amount"))
        if key[0] == OUTSIDE:
            # A sales tax: no VAT, but charged, so a charge in the totals.
            if amount:
                figures.adjustments.append(
                    Adjustment(True, tax.get("label") or "Sales tax", amount, key)
                )
        else:
            group.tax += amount
            vat_keys.append(key)
    # A line that names no tax (an older snapshot) is taxed as the invoice is,
    # when it has one rate; else it is outside the scope of VAT (or exempt,
    # when the seller's tax note says so).
    if len(set(vat_keys)) == 1:
        default = vat_keys[0]
    elif not rates and getattr(invoice, "reverse_charge", False):
        default = (REVERSE_CHARGE, Decimal("0.00"))
    elif not rates and seller.get("tax_note"):
        default = (EXEMPT, Decimal("0.00"))
    else:
        default = (OUTSIDE, Decimal("0"))
    has_line_discounts = False
    for number, line in enumerate(invoice.lines_shown, start=1):
        taxes = line.get("taxes") or []
        key = _group_key(taxes[0] if taxes else None, seller=seller, default=default)
        amount = decimal_or(line.get("amount"))
        quantity = decimal_or(line.get("quantity"), "1") or Decimal("1")
        discounts = line.get("discounts") or []
        has_line_discounts = has_line_discounts or bool(discounts)
        if any(tax.get("inclusive") for tax in taxes):
            # A price that includes its tax: EN 16931 states it net, after
            # its discount (Stripe's taxable amount, else what is left of
            # the amount without the discounts and the taxes).
            if taxes[0].get("taxable_amount") not in (None, ""):
                net = decimal_or(taxes[0]["taxable_amount"])
            else:
                net = amount - sum((decimal_or(d.get("amount")) for d in discounts), Decimal("0"))
                net -= sum((decimal_or(t.get("amount")) for t in taxes), Decimal("0"))
            price = (net / quantity).quantize(quantum / 100)
        else:
            net = amount
            price = decimal_or(line.get("unit_amount"), str(amount / quantity))
            for discount in discounts:
                figures.adjustments.append(
                    Adjustment(
                        False,
                        discount.get("name") or "Discount",
                        decimal_or(discount["amount"]),
                        key,
                    )
                )
        start, end = _date(line.get("period_start")), _date(line.get("period_end"))
        figures.lines.append(
            Line(
                description=line.get("description") or f"Item {number}",
                quantity=quantity,
                price=price,
                net=net.quantize(quantum),
                key=key,
                period=(start, end) if start and end else None,
            )
        )
        figures.groups.setdefault(key, _group(key, seller))
    if not has_line_discounts:
        # Discounts the invoice states only in total: on its first rate.
        first = figures.lines[0].key if figures.lines else default
        for discount in getattr(invoice, "discounts", None) or []:
            amount = decimal_or(discount.get("amount"))
            if amount:
                figures.adjustments.append(
                    Adjustment(False, discount.get("name") or "Discount", amount, first)
                )
    _merge_adjustments(figures, quantum)
    for item in figures.lines:
        figures.groups[item.key].basis += item.net
    for adjustment in figures.adjustments:
        sign = 1 if adjustment.charge else -1
        figures.groups[adjustment.key].basis += sign * adjustment.amount
    for group in figures.groups.values():
        group.basis = group.basis.quantize(quantum)
        group.tax = group.tax.quantize(quantum)
    return figures


def _merge_adjustments(figures: Figures, quantum: Decimal) -> None:
    """One allowance per coupon and rate (a coupon on three lines is one
    discount on the PDF), one charge per sales tax."""
    merged: dict[tuple, Adjustment] = {}
    for adjustment in figures.adjustments:
        key = (adjustment.charge, adjustment.reason, adjustment.key)
        if key in merged:
            merged[key].amount += adjustment.amount
        else:
            merged[key] = Adjustment(
                adjustment.charge, adjustment.reason, adjustment.amount, adjustment.key
            )
    figures.adjustments = [
        Adjustment(a.charge, a.reason, a.amount.quantize(quantum), a.key)
        for a in merged.values()
        if a.amount
    ]


def credit_note_figures(credit_note: CreditNote) -> Figures:
    """The credit note's lines and VAT per rate: the invoice's breakdown
    scaled to the refunded share (a refund gives back each rate's part of
    what was charged), the last rate taking the rounding so that the parts
    add up to the amount refunded."""
    quantum = Decimal(1).scaleb(-currency_exponent(credit_note.currency))
    invoice = credit_note.invoice
    source = invoice_figures(invoice)
    invoice_total = source.line_total - source.adjustment_total(charge=False)
    invoice_total += source.adjustment_total(charge=True) + source.tax_total
    refunded = decimal_or(credit_note.total)
    share = refunded / invoice_total if invoice_total else Decimal("1")
    groups = [g for g in source.groups.values() if g.basis or g.tax] or list(source.groups.values())
    if not groups:
        groups = [Group(OUTSIDE, Decimal("0"), reason=REASONS[OUTSIDE][0])]
    figures = Figures()
    description = credit_note.lines_shown[0]["description"] if credit_note.lines else ""
    left = refunded
    for index, group in enumerate(groups):
        last = index == len(groups) - 1
        gross = left if last else ((group.basis + group.tax) * share).quantize(quantum)
        tax = (group.tax * share).quantize(quantum)
        left -= gross
        key = (group.category, group.rate)
        net = gross - tax
        figures.groups[key] = Group(group.category, group.rate, group.reason, net, tax)
        figures.lines.append(
            Line(
                description=description or "Refund",
                quantity=Decimal("1"),
                price=net,
                net=net,
                key=key,
                period=None,
            )
        )
    return figures
