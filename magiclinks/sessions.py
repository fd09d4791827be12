"""The customer session: who is signed in to which vendor's hub.

Customers are not Django users and never share the staff login. The session
holds one entry per vendor, so a customer signed in at vendor A is nobody at
vendor B. An entry ends after HUB_SESSION_IDLE seconds without activity and
after HUB_SESSION_MAX_AGE seconds in any case.
"""

import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import redirect

from billing.models import Customer

SESSION_KEY = "hub_customers"

ENDED_IDLE = "idle"
ENDED_MAX_AGE = "expired"
ENDED_SIGNED_OUT = "signed_out"


def _entries(request: HttpRequest) -> dict:
    return request.session.get(SESSION_KEY, {})


def customer_login(request: HttpRequest, *, customer: Customer) -> None:
    """Sign `customer` in to their vendor's hub in this browser.

    The session key is rotated so that a session id planted before sign-in
    (session fixation) is worthless afterwards.
    """
    request.session.cycle_key()
    now = int(time.time())
    entries = dict(_entries(request))
    entries[str(customer.vendor_id)] = {"customer": customer.pk, "since": now, "seen": now}
    request.session[SESSION_KEY] = entries


def customer_logout(request: HttpRequest, *, vendor) -> None:
    """End the session for this vendor on the server side."""
    entries = dict(_entries(request))
    entries.pop(str(vendor.pk), None)
    if entries:
        request.session[SESSION_KEY] = entries
        request.session.cycle_key()
    else:
        request.session.flush()


def customer_from_session(request: HttpRequest, *, vendor) -> tuple[Customer | None, str | None]:
    """The signed-in customer of `vendor`, or None and why the session ended.

    Touching the entry here is what keeps an active session alive.
    """
    entry = _entries(request).get(str(vendor.pk))
    if not entry:
        return None, None
    now = int(time.time())
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


def customer_required(view):
    """Hub views behind sign-in: sets request.customer, else sends the person
    to the access form, saying why when their session ended."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        customer, ended = customer_from_session(request, vendor=request.vendor)
        if customer is None:
            query = {"next": request.get_full_path()}
            if ended:
                query["ended"] = ended
            return redirect(f"{request.vendor.hub_path}?{urlencode(query)}")
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapper
