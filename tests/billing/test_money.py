"""billing.money: the one place amounts cross into processors' minor units."""

from decimal import Decimal

import pytest

from billing.money import UnknownCurrency, from_minor_units, to_minor_units


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("500"), "JPY", 500),
        (Decimal("19.99"), "EUR", 1999),
        (Decimal("0.01"), "usd", 1),
        (Decimal("1.5"), "KWD", 1500),
        (Decimal("1.234"), "KWD", 1234),
    ],
)
def test_it_converts_to_minor_units_with_the_currency_exponent(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (500, "JPY", Decimal("500")),
        (1999, "EUR", Decimal("19.99")),
        (1500, "KWD", Decimal("1.500")),
        (1234, "KWD", Decimal("1.234")),
    ],
)
def test_it_converts_back_to_decimals(minor, currency, amount):
    value = from_minor_units(minor, currency)
    assert value == amount
    assert isinstance(value, Decimal)
    assert str(value) == str(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(Decimal("19.999"), "EUR"), (Decimal("500.5"), "JPY"), (Decimal("1.2345"), "KWD")],
)
def test_it_refuses_amounts_more_precise_than_the_currency(amount, currency):
    with pytest.raises(ValueError, match="more decimals"):
        to_minor_units(amount, currency)


def test_it_refuses_an_unknown_currency():
    with pytest.raises(UnknownCurrency):
        to_minor_units(Decimal("1"), "XYZ")
    with pytest.raises(UnknownCurrency):
        from_minor_units(100, "NOPE")
