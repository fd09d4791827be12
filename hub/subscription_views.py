"""The signed-in customer's subscriptions."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from billing.subscriptions import subscription_rows
from magiclinks.sessions import CustomerRequest, customer_required


@require_safe
@customer_required
def subscriptions(request: CustomerRequest, account: str) -> HttpResponse:
    rows = subscription_rows(customer=request.customer)
    return render(request, "hub/subscriptions.html", {"rows": rows})
