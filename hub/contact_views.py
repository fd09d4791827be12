"""The vendor's contact page."""

from django.http import HttpResponse
from django.shortcuts import render

from magiclinks.sessions import CustomerRequest, customer_required


@customer_required
def contact(request: CustomerRequest, account: str) -> HttpResponse:
    """Address, support email and social links: each only when the vendor set it."""
    return render(request, "hub/contact.html", {"customer": request.customer})
