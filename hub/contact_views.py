"""The vendor's contact page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from magiclinks.sessions import customer_required


@customer_required
def contact(request: HttpRequest, account: str) -> HttpResponse:
    """Address, support email and social links: each only when the vendor set it."""
    return render(request, "hub/contact.html", {"customer": request.customer})
