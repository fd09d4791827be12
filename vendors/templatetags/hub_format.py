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


@register.filter
def vendor_words(text, vendor):
    """Words the vendor wrote (a product name), marked with the vendor's
    language when the page is in another one (vendors.formatting.vendor_words)."""
    return formatting.vendor_words(text, vendor)
