"""The public cancellation page, /<account>/updateinfo/cancel/ (§ 312k BGB).

No sign-in, no email round trip, no other step stands before it: the page is
the confirmation page, and its one button declares the cancellation. A
signed-in customer finds their subscriptions to pick from; everyone else
types the Order ID from their receipt.

What the POST answers never depends on whether the email or the Order ID
belongs to a customer: it stores the declaration and shows its confirmation,
and the matching runs in a task (rights.cancellations).
"""

import logging
from typing import TypeVar

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from billing.models import Subscription
from magiclinks import ratelimit
from magiclinks.sessions import (
    CustomerRequest,
    customer_from_session,
    customer_required,
    customer_signed_in,
)
from vendors.clientip import client_ip, client_ip_key
from vendors.http import VendorRequest

from .cancellations import declaration_for_token, declaration_record
from .documents import declaration_pdf_filename, declaration_pdf_render
from .forms import CancellationForm
from .records import customer_record_csv

logger = logging.getLogger(__name__)
_Response = TypeVar("_Response", bound=HttpResponseBase)

CANCEL_PER_IP = ("HUB_CANCEL_RATE_PER_IP", (20, 10 * 60))
CANCEL_PER_EMAIL = ("HUB_CANCEL_RATE_PER_EMAIL", (5, 60 * 60))


def private_response(response: _Response) -> _Response:
    # The confirmation's address is its only key: it must not leave in a
    # Referer, and no cache may keep a page with a person's name on it.
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response


def rate_limited_response(request: VendorRequest, verdict: ratelimit.Verdict) -> HttpResponse:
    minutes = max(1, -(-verdict.retry_after // 60))
    response = render(request, "rights/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    logger.info("Rate limited: public cancellation page")
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _open_subscriptions(customer) -> list[Subscription]:
    if customer is None:
        return []
    return list(
        Subscription.objects.filter(vendor_id=customer.vendor_id, customer=customer)
        .exclude(status=Subscription.Status.CANCELED)
        .select_related("order")
        .order_by("-created_at", "-pk")
    )


def signed_in_language(request: VendorRequest) -> None:
    """A signed-in customer reads the confirmations in the language they
    chose, with the hub's header, as on the forms before them; anyone else
    in the link's, the browser's or the vendor's."""
    customer, _ = customer_from_session(request, vendor=request.vendor)
    if customer is not None:
        customer_signed_in(request, customer)


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: VendorRequest, account: str) -> HttpResponse:
    vendor = request.vendor
    if not vendor.cancellation_page_on:
        raise Http404  # turned off by a vendor outside Germany
    customer, _ = customer_from_session(request, vendor=vendor)
    if customer is not None:
        # The header's nav and sign-out, and the language the customer chose.
        customer_signed_in(request, customer)
    form = CancellationForm(
        request.POST if request.method == "POST" else None,
        vendor=vendor,
        customer=customer,
        subscriptions=_open_subscriptions(customer),
    )
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        for scope, identity, rule in [
            ("cancel-ip", client_ip_key(ip), CANCEL_PER_IP),
            # Every typed address counts, customer or not.
            ("cancel-email", f"{vendor.pk}:{form.cleaned_data['email']}", CANCEL_PER_EMAIL),
        ]:
            verdict = ratelimit.rate_limit_hit(scope=scope, identity=identity, rule=rule)
            if not verdict.allowed:
                return private_response(rate_limited_response(request, verdict))
        _, token = declaration_record(
            vendor=vendor,
            data=form.cleaned_data,
            signed_in_customer=customer,
            ip=ip,
            user_agent=request.headers.get("User-Agent", ""),
            language=get_language() or settings.LANGUAGE_CODE,
        )
        # Post/redirect/get: a reload of the confirmation declares nothing twice.
        response = HttpResponseRedirect(f"{vendor.hub_path}cancel/done/{token}/")
        response.status_code = 303
        return private_response(response)
    context = {"form": form, "signed_in": customer is not None}
    return private_response(render(request, "rights/cancel.html", context))


@require_safe
def cancel_done(request: VendorRequest, account: str, token: str) -> HttpResponse:
    """The confirmation: what was declared, and when, in the vendor's time
    zone. It reads the same whatever became of the declaration."""
    declaration = declaration_for_token(vendor=request.vendor, token=token)
    if declaration is None:
        raise Http404
    signed_in_language(request)
    context = {"declaration": declaration, "token": token}
    return private_response(render(request, "rights/cancel_done.html", context))


@require_safe
def cancel_done_pdf(request: VendorRequest, account: str, token: str) -> HttpResponse:
    declaration = declaration_for_token(vendor=request.vendor, token=token)
    if declaration is None:
        raise Http404
    declaration.vendor = request.vendor
    signed_in_language(request)
    pdf = declaration_pdf_render(declaration=declaration, language=get_language() or "en")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{declaration_pdf_filename(declaration)}"'
    )
    return private_response(response)


@require_safe
@customer_required
def record_csv(request: CustomerRequest, account: str) -> StreamingHttpResponse:
    """The signed-in customer's record of cancellations, withdrawals and
    reminders, as CSV."""
    response = StreamingHttpResponse(
        customer_record_csv(customer=request.customer), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="record-{request.vendor.slug}.csv"'
    return private_response(response)
