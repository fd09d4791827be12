"""The withdrawal function, /<account>/updateinfo/withdraw/ (EU Art. 11a CRD).

Step one asks only for name, email and the order; step two shows them with
one button, "Confirm withdrawal", which declares it. No sign-in before
either. A signed-in customer finds the form filled in, and is told plainly
when the order's period is over (with the way to the cancellation page);
for anyone else the answer never depends on whether the order is known.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from billing.models import Order
from magiclinks import ratelimit
from magiclinks.sessions import customer_from_session, customer_signed_in
from vendors.clientip import client_ip, client_ip_key
from vendors.http import VendorRequest

from .forms import WithdrawalForm
from .views import (
    CANCEL_PER_EMAIL,
    CANCEL_PER_IP,
    private_response,
    rate_limited_response,
    signed_in_language,
)
from .withdrawals import order_in_withdrawal_period, withdrawal_for_token, withdrawal_record


def _signed_in_order(customer, number: str) -> Order | None:
    if customer is None or not number:
        return None
    return Order.objects.filter(
        vendor_id=customer.vendor_id, customer=customer, number=number
    ).first()


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request: VendorRequest, account: str) -> HttpResponse:
    vendor = request.vendor
    customer, _ = customer_from_session(request, vendor=vendor)
    if customer is not None:
        # The header's nav and sign-out, and the language the customer chose.
        customer_signed_in(request, customer)
    context: dict = {"period_days": vendor.withdrawal_period_days}
    if vendor.withdrawal_period_days <= 0:
        return private_response(render(request, "rights/withdraw.html", {**context, "off": True}))
    if request.method != "POST":
        number = request.GET.get("order", "")[:40]
        initial = {"order_number": number}
        if customer is not None:
            initial |= {"name": customer.name, "email": customer.email}
            order = _signed_in_order(customer, number)
            if order is not None and not order_in_withdrawal_period(order=order, vendor=vendor):
                context["period_over"] = order
        context["form"] = WithdrawalForm(initial=initial)
        return private_response(render(request, "rights/withdraw.html", context))
    form = WithdrawalForm(request.POST)
    if not form.is_valid():
        return private_response(render(request, "rights/withdraw.html", {**context, "form": form}))
    if request.POST.get("step") != "confirm":
        # Step two: the same data, and the one button that declares it.
        return private_response(render(request, "rights/withdraw_confirm.html", {"form": form}))
    ip = client_ip(request)
    for scope, identity, rule in [
        ("withdraw-ip", client_ip_key(ip), CANCEL_PER_IP),
        ("withdraw-email", f"{vendor.pk}:{form.cleaned_data['email']}", CANCEL_PER_EMAIL),
    ]:
        verdict = ratelimit.rate_limit_hit(scope=scope, identity=identity, rule=rule)
        if not verdict.allowed:
            return private_response(rate_limited_response(request, verdict))
    _, token = withdrawal_record(
        vendor=vendor,
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        order_number=form.cleaned_data["order_number"],
        signed_in_customer=customer,
        ip=ip,
        user_agent=request.headers.get("User-Agent", ""),
        language=get_language() or settings.LANGUAGE_CODE,
    )
    response = HttpResponseRedirect(f"{vendor.hub_path}withdraw/done/{token}/")
    response.status_code = 303
    return private_response(response)


@require_safe
def withdraw_done(request: VendorRequest, account: str, token: str) -> HttpResponse:
    declaration = withdrawal_for_token(vendor=request.vendor, token=token)
    if declaration is None:
        raise Http404
    signed_in_language(request)
    return private_response(
        render(request, "rights/withdraw_done.html", {"declaration": declaration})
    )
