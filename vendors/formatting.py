"""Languages, money, numbers, dates and country names as a vendor's
customers expect to read them: in the reader's language (one the vendor
offers), the vendor's region and time zone, with Babel's CLDR data (never
by hand)."""

import functools
import unicodedata
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from babel import Locale, UnknownLocaleError, localedata
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html

DEFAULT_LOCALE = "en"


def _known_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def language_match(candidate: str | None, among: Iterable[str]) -> str:
    """`candidate` ("de-AT", "DE", "fr") as one of `among`: itself, else its
    base language ("de-at" -> "de"); "" when neither is there."""
    if not candidate:
        return ""
    code = candidate.strip().lower().replace("_", "-")
    among = list(among)
    if code in among:
        return code
    base = code.split("-")[0]
    return base if base in among else ""


def vendor_language(vendor) -> str:
    """The vendor's own language (`locale`), one of LANGUAGES, English when
    it is none of them: the language of the vendor's words and the last
    fallback for a customer's."""
    return language_match(getattr(vendor, "locale", None), _known_languages()) or DEFAULT_LOCALE


def offered_languages(vendor) -> tuple[str, ...]:
    """The languages a vendor's customers may choose, in LANGUAGES order.

    The vendor's setting (`languages`) where it names languages we have;
    else the vendor's own language and English. The vendor's own language is
    always among them: it is what a customer gets when nothing else decides.
    """
    languages = getattr(vendor, "languages", None) or ()
    locale = getattr(vendor, "locale", None)
    return _offered(tuple(languages), locale, tuple(settings.LANGUAGES))


# A hub request asks for a vendor's languages five or six times (the
# request's language, the link's, the cookies, the footer's menu): the
# answer depends only on these values, so each process keeps it.
@functools.lru_cache(maxsize=1024)
def _offered(languages: Iterable[str], locale: str | None, known_pairs: tuple) -> tuple[str, ...]:
    known = [code for code, _ in known_pairs]
    wanted = {language_match(code, known) for code in languages}
    wanted.discard("")
    if not wanted:
        wanted = {DEFAULT_LOCALE}
    wanted.add(language_match(locale, known) or DEFAULT_LOCALE)
    return tuple(code for code in known if code in wanted)


def language_pick(vendor, *candidates: str | None) -> str:
    """The first of `candidates` (most wanted first: a stored choice, a
    link's language, the browser's languages) that the vendor offers, else
    the vendor's own language. Never a language the vendor does not offer."""
    offered = offered_languages(vendor)
    for candidate in candidates:
        code = language_match(candidate, offered)
        if code:
            return code
    return vendor_language(vendor)


def vendor_text_language(vendor) -> str:
    """The language to mark the vendor's own words with (product names),
    or "" when the page is already in it (WCAG 3.1.2).

    A vendor writes its products in its own language (`locale`); a customer
    may read the page in another, and a screen reader would read
    "Jahresabo" with English rules unless it carries its `lang`.
    """
    code = (getattr(vendor, "locale", None) or DEFAULT_LOCALE).lower()
    page = (translation.get_language() or DEFAULT_LOCALE).lower()
    return "" if code.split("-")[0] == page.split("-")[0] else code


def vendor_words(text, vendor):
    """Words the vendor wrote (a product name) as HTML: in a span carrying
    the vendor's language when the page is in another one, else just
    escaped. A lazy translation is our word standing in for a missing name
    (billing.products' "Purchase"), already in the page's language: no span.
    The template filter `vendor_words` (hub_format) and form labels use it."""
    language = vendor_text_language(vendor)
    if not language or isinstance(text, Promise):
        return conditional_escape(text)
    return format_html('<span lang="{}">{}</span>', language, text)


@functools.lru_cache(maxsize=256)
def _babel_code(language: str, region: str) -> str:
    """A Babel locale for `language` as used in `region`, when CLDR has it
    ("de", "AT" -> "de_AT"; "fr", "DE" -> "fr"). A language that names its
    own region keeps it ("en-gb" -> "en_GB")."""
    base, _, own_region = language.lower().partition("-")
    for candidate_region in (own_region, region):
        if candidate_region and candidate_region.isalpha():
            code = f"{base}_{candidate_region.upper()}"
            if localedata.exists(code):
                return code
    return base or DEFAULT_LOCALE


def babel_locale(vendor, language: str | None = None) -> str:
    """The Babel locale that formats for `language` (the active one when not
    given) in the vendor's region (its `country`): dates, money and numbers
    follow the reader's language and the seller's country, as CLDR has them
    ("de" at a German vendor -> "de_DE": 1.234,56 €)."""
    language = language or translation.get_language() or vendor_language(vendor)
    return _babel_code(language, (getattr(vendor, "country", None) or "").upper())


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


def number(value: Decimal | int, vendor=None) -> str:
    """A number ("1.234,5" in German) in the active language and the vendor's region."""
    return format_decimal(value, locale=_locale(babel_locale(vendor)))


def percent(value: Decimal | float, vendor=None) -> str:
    """A ratio as a percentage (Decimal("0.19") -> "19 %" in German)."""
    return format_percent(value, locale=_locale(babel_locale(vendor)))


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
    return tuple(sorted(countries, key=lambda item: collation_key(item[1])))


def collation_key(text: str) -> tuple[str, str]:
    """Sort key for names in a Latin alphabet as a dictionary orders them:
    accents count only between otherwise equal names ("Österreich" among the
    O's in German, "Égypte" among the E's in French), not after "Z" as code
    points would put them."""
    folded = text.casefold()
    bare = "".join(
        char for char in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(char)
    )
    return bare, folded


def country_name(code: str, locale: str) -> str:
    """The country's name in `locale` (a Babel locale), or the code when unknown."""
    return _country_names(locale).get(code, code)


@functools.lru_cache(maxsize=16)
def _country_names(locale: str) -> dict[str, str]:
    # The dashboard and the invoice name one country a page: a dict of some
    # 250 names built per call was most of the cost of naming it.
    return dict(countries(locale))
