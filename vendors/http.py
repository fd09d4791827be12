"""The request as the hub's views see it, for the type checker."""

from django.http import HttpRequest

from .models import Vendor


class VendorRequest(HttpRequest):
    """A request to a URL under /<account>/: VendorMiddleware has resolved the
    account (an unknown one never reaches a view), and the CSP middleware has
    drawn this response's nonce."""

    vendor: Vendor
    csp_nonce: str
