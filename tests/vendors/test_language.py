"""Languages a vendor offers, the pick among them, and formats from CLDR
(Babel) in the active language and the vendor's region: never by hand."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from vendors import formatting
from vendors.formatting import (
    babel_locale,
    countries,
    language_pick,
    offered_languages,
    vendor_language,
)
from vendors.models import Vendor

NNBSP = "\u202f"  # CLDR's narrow no-break space (French thousands)
NBSP = "\xa0"


def test_a_vendors_language_is_its_locale():
    assert vendor_language(Vendor(locale="de")) == "de"
    assert vendor_language(Vendor(locale="fr")) == "fr"


def test_a_locale_we_do_not_have_falls_back_to_its_language_then_english():
    assert vendor_language(Vendor(locale="de-at")) == "de"
    assert vendor_language(Vendor(locale="xx")) == "en"


def test_by_default_a_vendor_offers_its_own_language_and_english():
    assert offered_languages(Vendor(locale="de")) == ("en", "de")
    assert offered_languages(Vendor(locale="en")) == ("en",)


def test_a_vendor_offers_the_languages_of_its_setting_and_always_its_own():
    vendor = Vendor(locale="de", languages=["fr", "es"])
    assert offered_languages(vendor) == ("de", "fr", "es")
    assert offered_languages(Vendor(locale="en", languages=["en", "de", "fr", "es"])) == (
        "en",
        "de",
        "fr",
        "es",
    )


def test_the_languages_offered_follow_the_vendor_and_languages_at_once(settings):
    # Kept per process (vendors.formatting._offered), keyed by every value
    # the answer depends on: a change to any of them is seen at once.
    vendor = Vendor(locale="de", languages=["fr"])
    assert offered_languages(vendor) == ("de", "fr")
    vendor.languages = ["es"]
    assert offered_languages(vendor) == ("de", "es")
    vendor.locale = "fr"
    assert offered_languages(vendor) == ("fr", "es")
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    assert offered_languages(vendor) == ("en", "fr")  # "es" is no longer one of ours


def test_unknown_codes_in_the_setting_are_ignored():
    assert offered_languages(Vendor(locale="de", languages=["tlh", ""])) == ("en", "de")


def test_the_pick_takes_the_first_offered_candidate():
    vendor = Vendor(locale="de", languages=["de", "en", "fr"])
    assert language_pick(vendor, "", None, "fr", "en") == "fr"
    assert language_pick(vendor, "es", "fr-CA") == "fr"  # es not offered; fr-CA is French
    assert language_pick(vendor, "FR") == "fr"


def test_the_pick_never_leaves_the_vendors_languages():
    vendor = Vendor(locale="de")  # de and en
    assert language_pick(vendor, "es", "fr") == "de"
    assert language_pick(vendor) == "de"


def test_formats_follow_the_active_language_in_the_vendors_region():
    vendor = Vendor(locale="de", country="DE")
    with translation.override("de"):
        assert babel_locale(vendor) == "de_DE"
        assert formatting.money(Decimal("1234.56"), "EUR", vendor) == f"1.234,56{NBSP}€"
        assert formatting.local_date(date(2026, 12, 7), vendor, "long") == "7. Dezember 2026"
        assert formatting.number(Decimal("1234.5"), vendor) == "1.234,5"
        assert formatting.percent(Decimal("0.19"), vendor) == f"19{NBSP}%"
    with translation.override("fr"):
        assert babel_locale(vendor) == "fr"  # CLDR has no French of Germany
        assert formatting.money(Decimal("1234.56"), "EUR", vendor) == f"1{NNBSP}234,56{NBSP}€"
        assert formatting.local_date(date(2026, 12, 7), vendor, "long") == "7 décembre 2026"
    with translation.override("es"):
        assert formatting.local_date(date(2026, 12, 7), vendor, "long") == "7 de diciembre de 2026"


def test_the_region_changes_the_notation_not_the_language():
    austrian = Vendor(locale="de", country="AT")
    swiss = Vendor(locale="de", country="CH")
    with translation.override("de"):
        assert babel_locale(austrian) == "de_AT"
        assert formatting.money(Decimal("1234.56"), "EUR", austrian) == f"€{NBSP}1.234,56"
        assert formatting.money(Decimal("1234.56"), "CHF", swiss) == f"CHF{NBSP}1'234.56"


def test_an_english_page_at_an_american_vendor_is_american():
    vendor = Vendor(locale="en", country="US")
    with translation.override("en"):
        assert formatting.money(Decimal("1234.5"), "USD", vendor) == "$1,234.50"
        assert formatting.local_date(date(2026, 12, 7), vendor, "long") == "December 7, 2026"


@pytest.mark.parametrize(
    ("locale", "before", "name", "after"),
    [
        # Accents sort with their letter, not after Z.
        ("de", "Norwegen", "Österreich", "Pakistan"),
        ("fr", "Djibouti", "Égypte", "Équateur"),
        ("es", "Bélgica", "Belice", "Benín"),
    ],
)
def test_country_lists_sort_as_the_language_reads(locale, before, name, after):
    names = [country for _code, country in countries(locale)]
    assert names.index(before) < names.index(name) < names.index(after)


def test_country_names_follow_the_language():
    assert formatting.country_name("DE", "fr") == "Allemagne"
    assert formatting.country_name("DE", "es") == "Alemania"
    assert formatting.country_name("DE", "de_DE") == "Deutschland"


def test_a_country_is_named_from_one_table_per_locale_and_process():
    # A page names a country or two; the table of some 250 names is built
    # once per locale (vendors.formatting._country_names), not per name.
    assert formatting.country_name("DE", "fr") == "Allemagne"
    built = formatting._country_names.cache_info().misses
    assert formatting.country_name("AT", "fr") == "Autriche"
    assert formatting.country_name("ZZ-unknown", "fr") == "ZZ-unknown"
    assert formatting._country_names.cache_info().misses == built
