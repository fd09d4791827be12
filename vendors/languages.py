"""Which language a hub request speaks, and where the answer is remembered.

A customer's language is, in this order: what they chose (their stored
`Customer.language` when signed in, this browser's choice when not), the
language of the link they followed (emailed links carry `?lang=`), their
browser's `Accept-Language`, and the vendor's own language; always one the
vendor offers (vendors.formatting.language_pick). URLs carry no language
prefix: the same address serves every language, and responses say so with
`Vary: Accept-Language, Cookie`.
"""

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from .formatting import language_match, language_pick, offered_languages

# This browser's choice from the language menu, per hub (the cookie's path is
# the vendor's hub): a year, as a preference is kept.
CHOICE_COOKIE = "hub_language"
CHOICE_COOKIE_AGE = 365 * 24 * 60 * 60
# The language of the emailed link this browser followed, kept for the rest
# of the browser session so the pages after the link speak it too.
LINK_COOKIE = "hub_link_language"
LINK_PARAM = "lang"


def accept_languages(request: HttpRequest) -> list[str]:
    """The browser's languages, most wanted first (Django's own parser,
    which bounds the header's length)."""
    header = request.headers.get("Accept-Language", "")
    return [code for code, _quality in parse_accept_lang_header(header) if code != "*"]


def link_language(request: HttpRequest, vendor) -> str:
    """The language the followed link carries (`?lang=`), when the vendor
    offers it; else the one remembered from an earlier link."""
    offered = offered_languages(vendor)
    return language_match(request.GET.get(LINK_PARAM), offered) or language_match(
        request.COOKIES.get(LINK_COOKIE), offered
    )


def request_language(request: HttpRequest, vendor, *, customer=None) -> str:
    """The language of this request to `vendor`'s hub (see the module's
    docstring for the order)."""
    return language_pick(
        vendor,
        getattr(customer, "language", ""),
        request.COOKIES.get(CHOICE_COOKIE),
        link_language(request, vendor),
        *accept_languages(request),
    )


def page_language(request: HttpRequest | None) -> str:
    """The language of the hub page a request came from, for an email it
    asks for; "" for anything else (the admin speaks its staff member's
    language, which must not become the customer's)."""
    if request is None or getattr(request, "vendor", None) is None:
        return ""
    return getattr(request, "LANGUAGE_CODE", "") or ""


def language_activate(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()


def language_cookies_set(response: HttpResponseBase, request: HttpRequest, vendor) -> None:
    """Remember a followed link's language for the browser session, and say
    that the answer depends on the visitor's language."""
    from django.utils.cache import patch_vary_headers

    carried = language_match(request.GET.get(LINK_PARAM), offered_languages(vendor))
    if carried and request.COOKIES.get(LINK_COOKIE) != carried:
        response.set_cookie(
            LINK_COOKIE,
            carried,
            path=vendor.hub_path,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    patch_vary_headers(response, ("Accept-Language", "Cookie"))


def choice_cookie_set(response: HttpResponseBase, vendor, language: str) -> None:
    response.set_cookie(
        CHOICE_COOKIE,
        language,
        max_age=CHOICE_COOKIE_AGE,
        path=vendor.hub_path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def with_language(url: str, language: str) -> str:
    """`url` carrying `language` (`?lang=`), for links we email: the page
    it opens then speaks the email's language."""
    if not language:
        return url
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({LINK_PARAM: language})))
