"""Passwordless access: the access form, the "check your email" page with
its code form, the emailed link, and sign-out.

Every access page is sent with `Referrer-Policy: no-referrer` (a token in the
address bar must not travel to another site) and `Cache-Control: no-store`
(a shared computer's back button must not show a signed-in page).
"""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vendors.clientip import client_ip, client_ip_key
from vendors.http import VendorRequest

from . import ratelimit
from .csrf import access_csrf_protect
from .forms import AccessCodeForm, AccessRequestForm
from .models import AccessLink
from .pages import access_form_render, access_headers
from .selectors import access_link_usable
from .services import (
    access_code_redeem,
    access_link_is_bound,
    access_link_redeem,
    access_request_queue,
    customer_sign_out,
)
from .sessions import ENDED_SIGNED_OUT, hub_next_path

BINDING_COOKIE = "hub_access"
logger = logging.getLogger(__name__)


def _binding_cookie_path(vendor) -> str:
    # Per vendor: the cookie of a request at vendor A is never sent to B.
    return f"{vendor.hub_path}access/"


def _rate_limited(request: VendorRequest, verdict: ratelimit.Verdict) -> HttpResponse:
    minutes = max(1, -(-verdict.retry_after // 60))
    response = render(request, "magiclinks/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    # A limit doing its job is not a warning: one abuser's thousand 429s
    # must not flood the warnings operators read. Logged here at INFO, and
    # marked so that Django does not log it again at WARNING.
    logger.info(
        "Rate limited: %s", request.resolver_match.url_name if request.resolver_match else ""
    )
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _check_email(request: VendorRequest, form, *, status: int = 200) -> HttpResponse:
    return render(request, "magiclinks/check_email.html", {"form": form}, status=status)


@access_csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@access_headers
def access_request(request: VendorRequest, account: str) -> HttpResponse:
    """POST the email: always the same "check your email" answer."""
    vendor = request.vendor
    if request.method != "POST":
        return redirect(vendor.hub_path)
    form = AccessRequestForm(request.POST, vendor=vendor)
    if not form.is_valid():
        return access_form_render(request, form)
    ip = client_ip(request)
    for scope, identity, rule in [
        ("access-ip", client_ip_key(ip), ratelimit.ACCESS_PER_IP),
        # Counted for every address typed, customer or not: the limit itself
        # must not tell the two apart.
        ("access-email", f"{vendor.pk}:{form.cleaned_data['email']}", ratelimit.ACCESS_PER_EMAIL),
    ]:
        verdict = ratelimit.rate_limit_hit(scope=scope, identity=identity, rule=rule)
        if not verdict.allowed:
            return _rate_limited(request, verdict)
    binding = access_request_queue(
        vendor=vendor,
        email=form.cleaned_data["email"],
        ip=ip,
        next_path=form.cleaned_data["next"],
        # The email speaks the language of the page it was asked from.
        language=get_language() or "",
    )
    response = _check_email(request, AccessCodeForm())
    response.set_cookie(
        BINDING_COOKIE,
        binding,
        max_age=settings.ACCESS_LINK_MAX_AGE,
        path=_binding_cookie_path(vendor),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        # Lax, not Strict: the click in a webmail is a cross-site navigation
        # and must carry the cookie for the one-click sign-in.
        samesite="Lax",
    )
    return response


def _signed_in(request: VendorRequest, link: AccessLink) -> HttpResponse:
    # A redirect, so the token leaves the address bar and the history entry.
    response = HttpResponseRedirect(hub_next_path(link.next_path, vendor=request.vendor))
    response.status_code = 303
    response.delete_cookie(BINDING_COOKIE, path=_binding_cookie_path(request.vendor))
    return response


def _link_invalid(request: VendorRequest) -> HttpResponse:
    response = HttpResponseRedirect(f"{request.vendor.hub_path}?link=invalid")
    response.status_code = 303
    return response


@access_csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@access_headers
def access_code(request: VendorRequest, account: str) -> HttpResponse:
    """Sign in with the emailed code, for mail read on another device."""
    if request.method != "POST":
        return _check_email(request, AccessCodeForm())
    form = AccessCodeForm(request.POST)
    if not form.is_valid():
        return _check_email(request, form)
    verdict = ratelimit.rate_limit_hit(
        scope="code-ip", identity=client_ip_key(client_ip(request)), rule=ratelimit.CODE_PER_IP
    )
    if not verdict.allowed:
        return _rate_limited(request, verdict)
    link = access_code_redeem(
        request=request,
        vendor=request.vendor,
        binding=request.COOKIES.get(BINDING_COOKIE),
        code=form.cleaned_data["code"],
    )
    if link is None:
        form.add_error(
            "code",
            _(
                "That code does not work. Check that it is from the latest email and that "
                "you asked for it in this browser; a code works for one hour and five tries."
            ),
        )
        return _check_email(request, form)
    return _signed_in(request, link)


@access_csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@access_headers
def access_link(request: VendorRequest, account: str, token: str) -> HttpResponse:
    """The emailed link.

    Only a GET from the browser that asked for the link (it holds the
    binding cookie) signs in at once. Every other GET or HEAD - another
    device, a mail scanner, a vendor-sent link - only reads, and gets a page
    whose Continue button POSTs: scanners fetch links, they do not submit
    forms, so the person's own click still works afterwards.
    """
    vendor = request.vendor
    if request.method == "POST":
        link = access_link_redeem(request=request, vendor=vendor, token=token)
        return _signed_in(request, link) if link else _link_invalid(request)
    link = access_link_usable(vendor=vendor, token=token)
    if link is None:
        return _link_invalid(request)
    if request.method == "GET" and access_link_is_bound(
        link=link, binding=request.COOKIES.get(BINDING_COOKIE)
    ):
        link = access_link_redeem(request=request, vendor=vendor, token=token)
        return _signed_in(request, link) if link else _link_invalid(request)
    # Name the account: a link forwarded, or planted by someone who wants the
    # person to work in *their* account, must say whose hub it opens.
    return render(request, "magiclinks/continue.html", {"account_email": link.customer.email})


@require_POST
@access_headers
def signout(request: VendorRequest, account: str) -> HttpResponse:
    customer_sign_out(request=request, vendor=request.vendor)
    response = HttpResponseRedirect(f"{request.vendor.hub_path}?ended={ENDED_SIGNED_OUT}")
    response.status_code = 303
    return response


@access_csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
@access_headers
def email_confirm(request: VendorRequest, account: str, token: str) -> HttpResponse:
    """The link sent to a new email address. GET and HEAD only show a Confirm
    button (a mail scanner must not make the change); the POST makes it."""
    from .email_changes import EMAIL_CHANGE_INVALID, email_change_confirm, email_change_usable

    if request.method == "POST":
        outcome = email_change_confirm(request=request, vendor=request.vendor, token=token)
        return render(request, "magiclinks/email_confirm.html", {"outcome": outcome})
    change = email_change_usable(vendor=request.vendor, token=token)
    if change is None:
        return render(request, "magiclinks/email_confirm.html", {"outcome": EMAIL_CHANGE_INVALID})
    return render(request, "magiclinks/email_confirm.html", {"new_email": change.new_email})
