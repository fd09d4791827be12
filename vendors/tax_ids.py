"""Tax identification numbers: which kind a country issues, and whether a
number is one (format and check digits), with `python-stdnum`.

The seller's VAT ID and tax number (printed on every invoice, § 14 UStG and
Art. 226 of the EU VAT Directive) and the customer's tax ID (pushed to
Stripe as a customer tax ID) are checked here, so that a mistyped number is
refused next to its field before it reaches an invoice or the processor.
A valid checksum says the number is well formed, not that it is registered:
Stripe checks EU VAT IDs against VIES and reports that as the tax ID's
verification status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as NumberError

# The 27 member states, by the prefix their VAT IDs carry (Greece writes EL).
EU_VAT_PREFIXES = {
    "AT": "AT", "BE": "BE", "BG": "BG", "HR": "HR", "CY": "CY", "CZ": "CZ", "DK": "DK",
    "EE": "EE", "FI": "FI", "FR": "FR", "DE": "DE", "GR": "EL", "HU": "HU", "IE": "IE",
    "IT": "IT", "LV": "LV", "LT": "LT", "LU": "LU", "MT": "MT", "NL": "NL", "PL": "PL",
    "PT": "PT", "RO": "RO", "SK": "SK", "SI": "SI", "ES": "ES", "SE": "SE",
}  # fmt: skip


@dataclass(frozen=True)
class TaxIdKind:
    """One kind of tax ID: Stripe's type for it, its name for people, and
    the stdnum module that checks it."""

    stripe_type: str
    label: Any
    module: str


EU_VAT = TaxIdKind("eu_vat", _("EU VAT ID"), "stdnum.eu.vat")

# Beyond the EU: the kinds Stripe takes as customer tax IDs
# (https://docs.stripe.com/billing/customer/tax-ids#supported-tax-id) for
# which stdnum has a checker. A country not listed has no tax ID field.
KINDS: dict[str, TaxIdKind] = {
    "GB": TaxIdKind("gb_vat", _("UK VAT number"), "stdnum.gb.vat"),
    "CH": TaxIdKind("ch_uid", _("Swiss UID"), "stdnum.ch.uid"),
    "NO": TaxIdKind("no_vat", _("Norwegian VAT number"), "stdnum.no.mva"),
    "IS": TaxIdKind("is_vat", _("Icelandic VAT number"), "stdnum.is_.vsk"),
    "AU": TaxIdKind("au_abn", _("Australian Business Number (ABN)"), "stdnum.au.abn"),
    "NZ": TaxIdKind("nz_gst", _("New Zealand GST number"), "stdnum.nz.ird"),
    "CA": TaxIdKind("ca_bn", _("Canadian Business Number"), "stdnum.ca.bn"),
    "IN": TaxIdKind("in_gst", _("Indian GSTIN"), "stdnum.in_.gstin"),
    "US": TaxIdKind("us_ein", _("US Employer Identification Number (EIN)"), "stdnum.us.ein"),
}

# A seller's national tax number (Steuernummer and its kin), where stdnum
# knows the country's format. Elsewhere it is printed as typed.
TAX_NUMBER_MODULES = {
    "DE": "stdnum.de.stnr",
    "AT": "stdnum.at.tin",
    "FR": "stdnum.fr.nif",
    "GB": "stdnum.gb.utr",
    "AU": "stdnum.au.tfn",
    "US": "stdnum.us.ein",
}


def tax_id_kind(country: str) -> TaxIdKind | None:
    """The tax ID a business in `country` (ISO code) has, if we know it."""
    country = (country or "").upper()
    if country in EU_VAT_PREFIXES:
        return EU_VAT
    return KINDS.get(country)


def _problem(error: NumberError, what: Any) -> ValidationError:
    if isinstance(error, InvalidChecksum):
        return ValidationError(
            _(
                "This number does not add up (its check digit is wrong): "
                "please check it for a typo."
            ),
            code="tax_id_checksum",
        )
    if isinstance(error, InvalidLength):
        return ValidationError(
            _("This number has too few or too many characters."),
            code="tax_id_length",
        )
    if isinstance(error, InvalidComponent):
        return ValidationError(
            _("This number does not start with a country code we know."),
            code="tax_id_component",
        )
    return ValidationError(
        _("This number is not in the right format for: %(what)s."),
        code="tax_id_format",
        params={"what": what},
    )


def tax_id_clean(*, country: str, value: str) -> tuple[TaxIdKind, str]:
    """The kind of tax ID for `country` and `value` in the form the tax
    office (and Stripe) writes it, "de 123 456 789" -> "DE123456789".

    Raises ValidationError with a message for the person who typed it.
    An EU VAT ID typed without its country prefix gets the country's.
    """
    kind = tax_id_kind(country)
    if kind is None:
        raise ValidationError(
            _("We cannot take a tax ID for this country. Leave the field empty."),
            code="tax_id_country",
        )
    module = import_module(kind.module)
    number = re.sub(r"[\s.\-/]", "", value).upper()
    if kind is EU_VAT and number[:2] not in EU_VAT_PREFIXES.values():
        number = EU_VAT_PREFIXES[country.upper()] + number
    try:
        number = module.validate(number)
    except NumberError as error:
        raise _problem(error, kind.label) from None
    return kind, _written(kind, module, number)


def _written(kind: TaxIdKind, module: Any, number: str) -> str:
    """The number as Stripe's examples write each type."""
    if kind.stripe_type == "gb_vat":
        return "GB" + number.removeprefix("GB")
    if kind.stripe_type in ("ch_uid", "us_ein"):
        return module.format(number)
    return number


def vat_id_clean(*, country: str, value: str) -> str:
    """A seller's VAT ID: an EU VAT ID (any member state's) or the VAT
    number of the seller's country (GB, CH, NO ...)."""
    country = (country or "").upper()
    compact = value.replace(" ", "").upper()
    if compact[:2] in EU_VAT_PREFIXES.values():
        country = next(code for code, prefix in EU_VAT_PREFIXES.items() if prefix == compact[:2])
    return tax_id_clean(country=country, value=value)[1]


def tax_number_clean(*, country: str, value: str) -> str:
    """A seller's national tax number, checked where stdnum knows the
    country's format, else kept as typed (trimmed)."""
    name = TAX_NUMBER_MODULES.get((country or "").upper())
    if name is None:
        return value.strip()
    module = import_module(name)
    try:
        module.validate(value)
    except NumberError as error:
        raise _problem(error, _("tax number")) from None
    return value.strip()
