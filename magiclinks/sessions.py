"""The customer session: who is signed in to which vendor's hub.

Customers are not Django users and never share the staff login. The session
holds one entry per vendor, so a customer signed in at vendor A is nobody at
vendor B. An entry ends after HUB_SESSION_IDLE seconds without activity and
after HUB_SESSION_MAX_AGE seconds in any case.
"""

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from billing.models import Customer
from vendors.http import VendorRequest


class CustomerRequest(VendorRequest):
    """A request that customer_required let through: `customer` is the
    signed-in customer of `vendor`."""

    customer: Customer


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

    The session key is rotated so that a session id planted before sign-in
    (session fixation) is worthless afterwards.
    """
    request.session.cycle_key()
    now = _now()
    entries = dict(_entries(request))
    entries[str(customer.vendor_id)] = {"customer": customer.pk, "since": now, "seen": now}
    request.session[SESSION_KEY] = entries


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
    customer = None if ended else vendor.customers.filter(pk=entry["customer"]).first()
    if customer is None:
        customer_logout(request, vendor=vendor)
        return None, ended
    if now - entry["seen"] >= 30:  # don't rewrite the session on every request
        entries = dict(_entries(request))
        entries[str(vendor.pk)] = {**entry, "seen": now}
        request.session[SESSION_KEY] = entries
    return customer, None


def hub_next_path(value: str | None, *, vendor) -> str:
    """`value` when it is a path inside `vendor`'s hub, else the hub root.

    Only same-hub paths are honoured: an open redirect from a sign-in page is
    a phisher's favourite tool, and a path into another vendor's hub would
    carry the person somewhere they did not sign in.
    """
    home = vendor.hub_path
    if (
        not value
        or len(value) > 500
        or not value.startswith(home)
        or "\\" in value
        or any(ord(ch) < 32 for ch in value)
        or "/../" in value
        or not url_has_allowed_host_and_scheme(value, allowed_hosts=set())
    ):
        return home
    return value


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
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapper
