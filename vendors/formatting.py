"""Money and dates as the vendor's customers expect to read them: in the
vendor's locale and time zone, with Babel's CLDR data (never by hand)."""

import zoneinfo
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from django.utils import timezone

DEFAULT_LOCALE = "en"


def babel_locale(vendor) -> str:
    """Django language code ("en-gb") to a Babel locale ("en_GB")."""
    code = getattr(vendor, "locale", None) or DEFAULT_LOCALE
    language, _, region = code.partition("-")
    return f"{language}_{region.upper()}" if region else language


def money(amount: Decimal, currency: str, vendor=None) -> str:
    return format_currency(amount, currency, locale=babel_locale(vendor))


def vendor_zone(vendor) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(vendor, "timezone", None) or "UTC")
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo("UTC")


def local_date(value: datetime | date | None, vendor=None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value, vendor_zone(vendor)).date()
    return format_date(value, format=fmt, locale=babel_locale(vendor))


def local_datetime(value: datetime | None, vendor=None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(
        value, format=fmt, tzinfo=vendor_zone(vendor), locale=babel_locale(vendor)
    )
