"""Template tags for money, numbers and dates in the active language, the
vendor's region and its time zone (vendors.formatting).

Usage: {% load hub_format %} {% money payment.amount payment.currency %}
       {% number count %} {% percent rate %}
       {% local_date payment.created_at %}  {% local_datetime event.created_at "short" %}
       {{ subscription.product|vendor_words:vendor }} (the vendor's language marked)
The vendor comes from the template context (`vendor`, set for every hub page).
"""

from django import template

from vendors import formatting

register = template.Library()


@register.simple_tag(takes_context=True)
def money(context, amount, currency):
    return formatting.money(amount, currency, context.get("vendor"))


@register.simple_tag(takes_context=True)
def number(context, value):
    return formatting.number(value, context.get("vendor"))


@register.simple_tag(takes_context=True)
def percent(context, value):
    return formatting.percent(value, context.get("vendor"))


@register.simple_tag(takes_context=True)
def local_date(context, value, fmt="medium"):
    return formatting.local_date(value, context.get("vendor"), fmt)


@register.simple_tag(takes_context=True)
def local_datetime(context, value, fmt="medium"):
    return formatting.local_datetime(value, context.get("vendor"), fmt)


@register.simple_tag(takes_context=True)
def buyer_address(context, buyer: dict) -> list[str]:
    """A document's billed-to address lines (billing.documents.invoices.buyer_snapshot),
    the country named in the active language: the snapshot keeps its code."""
    lines = list(buyer.get("address") or [])
    code = buyer.get("country") or ""
    if code and lines and lines[-1] == buyer.get("country_name"):
        locale = formatting.babel_locale(context.get("vendor"))
        lines[-1] = formatting.country_name(code, locale)
    return lines


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@register.simple_tag
def seller_printed(seller: dict) -> dict:
    """What a document prints of its seller (billing.documents.invoices
    .seller_snapshot) below the name, each thing once: the trading address
    without a first line that repeats the name; the legal name only when it
    is not the trading name; and of the registered address only what the
    trading address has not said (a register entry after the same street and
    city), or all of it when it is another address."""
    name = seller.get("name") or ""
    legal_name = seller.get("legal_name") or ""
    address = _lines(seller.get("address") or "")
    if address and any(_same(address[0], n) for n in (name, legal_name) if n):
        address = address[1:]
    registered = _lines(seller.get("registered_address") or "")
    same = 0
    while same < min(len(address), len(registered)) and _same(address[same], registered[same]):
        same += 1
    # The same street and city (a trailing country line may differ or be absent).
    if same and same >= len(address) - 1:
        registered = registered[same:]
    return {
        "address": address,
        "legal_name": "" if _same(legal_name, name) else legal_name,
        "registered_address": registered,
    }


@register.filter
def vendor_words(text, vendor):
    """Words the vendor wrote (a product name), marked with the vendor's
    language when the page is in another one (vendors.formatting.vendor_words)."""
    return formatting.vendor_words(text, vendor)
