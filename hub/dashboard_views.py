"""The signed-in customer's hub pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from magiclinks.sessions import customer_from_session
from magiclinks.views import access_form


def home(request: HttpRequest, account: str) -> HttpResponse:
    """The dashboard when signed in, else the access form."""
    customer, ended = customer_from_session(request, vendor=request.vendor)
    if customer is None:
        return access_form(request, account=account, ended=ended or request.GET.get("ended"))
    request.customer = customer
    return render(request, "hub/dashboard.html", {"customer": customer})


def profile(request: HttpRequest, account: str) -> HttpResponse:
    raise NotImplementedError("issue 4: Update my info")
