"""The one place where amounts cross between our `Decimal`s and processors'
integer minor units.

Exponents come from the ISO 4217 table (the `iso4217` package, kept up to
date with the standard): JPY has none, EUR two, KWD and BHD three. Nothing
else in the code multiplies or divides by 100.
"""

from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from iso4217 import Currency


class UnknownCurrency(ValueError):
    pass


@cache
def currency_exponent(currency: str) -> int:
    """The number of decimal places of `currency` (ISO 4217 minor unit)."""
    try:
        exponent = Currency(currency.upper()).exponent
    except (ValueError, KeyError) as exc:
        raise UnknownCurrency(f"Unknown currency {currency!r}") from exc
    # Funds and precious metals have no minor unit in the table (None).
    return exponent or 0


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`Decimal("19.99")`, "EUR" -> 1999; "JPY" 500 -> 500; "KWD" 1.5 -> 1500.

    Refuses an amount with more precision than the currency has: rounding
    money silently is how invoices and charges drift apart.
    """
    exponent = currency_exponent(currency)
    scaled = Decimal(amount).scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows ({exponent})")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Decimal:
    """1999, "EUR" -> Decimal("19.99"); 500, "JPY" -> Decimal("500")."""
    exponent = currency_exponent(currency)
    quantum = Decimal(1).scaleb(-exponent)
    return (Decimal(int(value)).scaleb(-exponent)).quantize(quantum, rounding=ROUND_HALF_EVEN)


def parse_decimal_amount(value: str, currency: str) -> Decimal:
    """A processor's decimal string ("19.99", PayPal's form) as our Decimal,
    checked against the currency's precision."""
    amount = Decimal(value)
    return from_minor_units(to_minor_units(amount, currency), currency)
