"""Money and dates as the vendor's customers expect to read them: in the
vendor's locale and time zone, with Babel's CLDR data (never by hand)."""

import functools
import gettext as gettext_module
import zoneinfo
from datetime import date, datetime
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from django.conf import settings
from django.utils import timezone
from django.utils.translation import to_locale

DEFAULT_LOCALE = "en"


@functools.cache
def _translated(language: str) -> bool:
    """Do our own templates exist in `language` (a compiled catalog of ours)?"""
    return any(
        gettext_module.find("django", str(path), [to_locale(language)])
        for path in settings.LOCALE_PATHS
    )


def vendor_language(vendor) -> str:
    """The one language a vendor's pages, emails and PDFs are in: text,
    dates, money and country names together.

    The vendor's own locale when our text exists in that language (English
    always does: it is the source), English otherwise. A German date beside
    English sentences, or "Deutschland" in an English address, reads as a
    mistake; one language throughout does not.
    """
    code = (getattr(vendor, "locale", None) or DEFAULT_LOCALE).lower()
    if code.split("-")[0] == "en" or _translated(code):
        return code
    return DEFAULT_LOCALE


def vendor_text_language(vendor) -> str:
    """The language to mark the vendor's own words with (product names),
    or "" when the page is already in it (WCAG 3.1.2).

    A vendor writes its products in its own language (`locale`); the page is
    in English when we have no catalog of that language, and a screen reader
    would read "Jahresabo" with English rules unless it carries its `lang`.
    """
    from django.utils.translation import get_language

    code = (getattr(vendor, "locale", None) or DEFAULT_LOCALE).lower()
    page = (get_language() or DEFAULT_LOCALE).lower()
    return "" if code.split("-")[0] == page.split("-")[0] else code


def babel_locale(vendor) -> str:
    """The vendor's language as a Babel locale ("en-gb" -> "en_GB")."""
    language, _, region = vendor_language(vendor).partition("-")
    return f"{language}_{region.upper()}" if region else language


@functools.lru_cache(maxsize=64)
def _locale(code: str) -> Locale:
    """Babel's Locale for a code, parsed once per process: Babel parses a
    locale string again on every call, and a purchases page formats 50
    amounts and dates."""
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


# Formatting through Babel costs 0.1-0.2 ms a value (CLDR lookups, plural
# rules, quantizing), 5-10 ms for a purchases page of 25 rows. The results
# are pure functions of (value, currency or format, locale), and amounts and
# days repeat across rows and customers, so each process keeps the last few
# thousand.
FORMAT_CACHE_SIZE = 8192


@functools.lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=_locale(locale))


@functools.lru_cache(maxsize=FORMAT_CACHE_SIZE)
def _date(value: date, fmt: str, locale: str) -> str:
    return format_date(value, format=fmt, locale=_locale(locale))


def money(amount: Decimal, currency: str, vendor=None) -> str:
    return _money(amount, currency, babel_locale(vendor))


def vendor_zone(vendor) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(vendor, "timezone", None) or "UTC")
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo("UTC")


def local_date(value: datetime | date | None, vendor=None, fmt: str = "medium") -> str:
    return VendorFormat(vendor).local_date(value, fmt)


class VendorFormat:
    """money() and local_date() for one vendor, with its locale and time zone
    looked up once: a page of rows formats 50 values."""

    __slots__ = ("locale", "zone")

    def __init__(self, vendor=None) -> None:
        self.locale = babel_locale(vendor)
        self.zone = vendor_zone(vendor)

    def money(self, amount: Decimal, currency: str) -> str:
        return _money(amount, currency, self.locale)

    def local_date(self, value: datetime | date | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = timezone.localtime(value, self.zone).date()
        return _date(value, fmt, self.locale)


def local_datetime(value: datetime | None, vendor=None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(
        value, format=fmt, tzinfo=vendor_zone(vendor), locale=_locale(babel_locale(vendor))
    )


# Codes CLDR names that are not countries (EU, "Eurozone", the UN, "Outlying
# Oceania", pseudo-locales, "Unknown region"). The rest of its two-letter
# codes are ISO 3166-1 alpha-2, plus XK (Kosovo), which Stripe and PayPal
# accept and which a customer in Kosovo needs.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


@functools.lru_cache(maxsize=16)
def countries(locale: str) -> tuple[tuple[str, str], ...]:
    try:
        names = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError):
        names = Locale("en").territories
    countries = [
        (code, name)
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    ]
    return tuple(sorted(countries, key=lambda item: item[1].casefold()))


def country_name(code: str, locale: str) -> str:
    """The country's name in `locale` (a Babel locale), or the code when unknown."""
    return dict(countries(locale)).get(code, code)
