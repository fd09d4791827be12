"""The customer session: who is signed in to which vendor's hub.

Customers are not Django users and never share the staff login. The session
holds one entry per vendor, so a customer signed in at vendor A is nobody at
vendor B. An entry ends after HUB_SESSION_IDLE seconds without activity and
after HUB_SESSION_MAX_AGE seconds in any case.
"""

import functools
import posixpath
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote, unquote, urlencode

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from billing.models import Customer
from vendors.http import VendorRequest
from vendors.languages import language_activate, request_language


class CustomerRequest(VendorRequest):
    """A request that customer_required let through: `customer` is the
    signed-in customer of `vendor`."""

    customer: Customer


_Response = TypeVar("_Response", bound=HttpResponseBase)

SESSION_KEY = "hub_customers"

ENDED_IDLE = "idle"
ENDED_MAX_AGE = "expired"
ENDED_SIGNED_OUT = "signed_out"


ENDED_REASONS = frozenset({ENDED_IDLE, ENDED_MAX_AGE, ENDED_SIGNED_OUT})


def _entries(request: HttpRequest) -> dict:
    return request.session.get(SESSION_KEY, {})


def _now() -> int:
    # One clock for the whole app (django.utils.timezone), so tests that move
    # it move session ages, link expiry and Django's session expiry together.
    return int(timezone.now().timestamp())


def customer_login(request: HttpRequest, *, customer: Customer) -> None:
    """Sign `customer` in to their vendor's hub in this browser.

    The session is flushed - its data dropped and its key replaced - rather
    than only given a new key: a session planted before sign-in (fixation)
    could otherwise carry an attacker's sign-in at another vendor, or any
    other value, into the customer's session. Sign-ins at other vendors in
    this browser end with it; the person signs in there again. The CSRF token
    is rotated too, so a token read before sign-in is worthless after.
    """
    request.session.flush()
    rotate_token(request)
    now = _now()
    request.session[SESSION_KEY] = {
        str(customer.vendor_id): {"customer": customer.pk, "since": now, "seen": now}
    }
    # Saved now, for its key: a confirmed email change ends the customer's
    # other sessions by these keys.
    request.session.save()
    from .models import CustomerSession

    CustomerSession.objects.create(customer=customer, session_key=request.session.session_key or "")


def customer_logout(request: HttpRequest, *, vendor) -> None:
    """End the session for this vendor on the server side.

    The old session key is deleted from the store either way, so a copy of
    the cookie taken before sign-out opens nothing. What else the session
    holds (sign-ins at other vendors, a staff login) is kept under a new key.
    """
    entries = dict(_entries(request))
    entries.pop(str(vendor.pk), None)
    if entries:
        request.session[SESSION_KEY] = entries
    else:
        request.session.pop(SESSION_KEY, None)
    if not list(request.session.keys()):
        request.session.flush()
    else:
        request.session.cycle_key()


def _customer(*, vendor, pk: int) -> Customer | None:
    """The session's customer, looked up inside the request's vendor: an id
    from a session entry of vendor A never loads a customer of vendor B."""
    try:
        customer = Customer.objects.get(pk=pk, vendor_id=vendor.pk)
    except Customer.DoesNotExist:
        return None
    customer.vendor = vendor  # the request's vendor: no query for it later
    return customer


def customer_from_session(request: HttpRequest, *, vendor) -> tuple[Customer | None, str | None]:
    """The signed-in customer of `vendor`, or None and why the session ended.

    Touching the entry here is what keeps an active session alive.
    """
    entry = _entries(request).get(str(vendor.pk))
    if not entry:
        return None, None
    now = _now()
    ended = None
    if now - entry["since"] > settings.HUB_SESSION_MAX_AGE:
        ended = ENDED_MAX_AGE
    elif now - entry["seen"] > settings.HUB_SESSION_IDLE:
        ended = ENDED_IDLE
    customer = None if ended else _customer(vendor=vendor, pk=entry["customer"])
    if customer is None:
        customer_logout(request, vendor=vendor)
        return None, ended
    if now - entry["seen"] >= 30:  # don't rewrite the session on every request
        entries = dict(_entries(request))
        entries[str(vendor.pk)] = {**entry, "seen": now}
        request.session[SESSION_KEY] = entries
    return customer, None


def _is_clean(text: str) -> bool:
    return not any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def hub_next_path(value: str | None, *, vendor) -> str:
    """`value` normalised, when it is a path inside `vendor`'s hub; else the hub root.

    Only same-hub paths are honoured: an open redirect from a sign-in page is
    a phisher's favourite tool, and a path into another vendor's hub would
    carry the person somewhere they did not sign in. The check is made on
    what a browser would resolve: percent-encoding is undone (browsers treat
    `%2e%2e` as `..`), dot segments are resolved, and backslashes (which
    browsers read as slashes) or doubled slashes (`//host` is another site)
    refuse the value outright.
    """
    home = vendor.hub_path
    if not value or len(value) > 500:
        return home
    path, sep, query = value.partition("?")
    decoded = path
    for _ in range(3):  # %252e%252e and the like, decoded by some proxies
        decoded = unquote(decoded)
    if (
        not decoded.startswith("/")
        or "\\" in decoded
        or "//" in decoded
        or not _is_clean(decoded)
        or not _is_clean(unquote(query))
    ):
        return home
    normal = posixpath.normpath(decoded)
    if decoded.endswith("/") and not normal.endswith("/"):
        normal += "/"
    if not normal.startswith(home) or not url_has_allowed_host_and_scheme(
        normal, allowed_hosts=set()
    ):
        return home
    return quote(normal, safe="/:@!$&'()*+,;=-._~") + sep + query


def signed_in_headers(response: _Response) -> _Response:
    """A signed-in page or download is the customer's alone: no shared cache
    may keep it, and no browser cache may show it after sign-out."""
    response["Cache-Control"] = "no-store, private"
    return response


def customer_signed_in(request: HttpRequest, customer: Customer) -> None:
    """`customer` is whom this request is from: set it, and speak the
    language they chose (stored on the customer, so it follows them to
    another browser)."""
    request.customer = customer  # type: ignore[attr-defined]
    if customer.language:
        language_activate(request, request_language(request, customer.vendor, customer=customer))


def customer_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Hub views behind sign-in: sets request.customer, else sends the person
    to the access form, saying why when their session ended."""

    @functools.wraps(view)
    def wrapper(request: CustomerRequest, *args, **kwargs) -> HttpResponseBase:
        customer, ended = customer_from_session(request, vendor=request.vendor)
        if customer is None:
            query = {"next": request.get_full_path()}
            if ended:
                query["ended"] = ended
            return redirect(f"{request.vendor.hub_path}?{urlencode(query)}")
        customer_signed_in(request, customer)
        return signed_in_headers(view(request, *args, **kwargs))

    return wrapper
