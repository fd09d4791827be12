"""One language per vendor: text, dates, money and country names together.
A vendor's own locale is used where our text exists in it, English otherwise."""

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from vendors import formatting
from vendors.formatting import babel_locale, vendor_language
from vendors.models import Vendor


def test_english_variants_keep_their_region():
    assert vendor_language(Vendor(locale="en-gb")) == "en-gb"
    assert babel_locale(Vendor(locale="en-gb")) == "en_GB"
    assert formatting.money(1234.5, "GBP", Vendor(locale="en-gb")) == "£1,234.50"


def test_a_language_without_our_translation_falls_back_to_english():
    assert vendor_language(Vendor(locale="de")) == "en"
    assert formatting.money(1234.5, "EUR", Vendor(locale="de")) == "€1,234.50"


def test_a_language_with_our_translation_is_used_throughout(settings, tmp_path):
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="de")
    catalog.add("Subscriptions", "Abonnements")
    with open(folder / "django.mo", "wb") as mo:
        write_mo(mo, catalog)
    settings.LOCALE_PATHS = [tmp_path]
    formatting._translated.cache_clear()
    try:
        assert vendor_language(Vendor(locale="de")) == "de"
        assert formatting.money(1234.5, "EUR", Vendor(locale="de")) == "1.234,50\xa0€"
    finally:
        formatting._translated.cache_clear()
