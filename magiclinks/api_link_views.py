"""The landing URL of a hub link made through the vendor API: it signs the
customer in on GET (why that is safe for these links only is written down
at `api_link_redeem`)."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from vendors.http import VendorRequest

from .pages import access_headers
from .services import api_link_redeem
from .views import _link_invalid, _signed_in


# GET only: a HEAD (a link preview, a prefetch) never consumes the link.
@require_GET
@access_headers
def api_link(request: VendorRequest, account: str, token: str) -> HttpResponse:
    link = api_link_redeem(request=request, vendor=request.vendor, token=token)
    if link is None:
        return _link_invalid(request)
    return _signed_in(request, link)
