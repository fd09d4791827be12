"""Request-wide concerns: tenant resolution and the Content-Security-Policy."""

import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest

from vendors.http import VendorRequest
from vendors.languages import language_activate, language_cookies_set, request_language
from vendors.selectors import vendor_for_slug
from vendors.validators import has_control_characters

from .outages import is_outage, service_unavailable
from .views import HUB_PATH, not_found, server_error


class ControlCharacterMiddleware:
    """A control character in the path, or a NUL in a query value, is a 404.

    No URL of ours has one, and PostgreSQL refuses a NUL in a text parameter,
    so such a value that reached a lookup (`invoices/<number>/` with %00)
    used to be a 500. Refusing here covers every view at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if has_control_characters(request.path_info) or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise Http404("Control characters in the address")
        return self.get_response(request)


logger = logging.getLogger(__name__)


class ServiceUnavailableMiddleware:
    """A view that meets an outage answers the 503 page (hub.outages); an
    outage raised before the view (another middleware) gets the same page
    from handler500 (hub.views.server_error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_outage(exception):
            return None
        return service_unavailable(request, exception)


class VendorMiddleware:
    """Resolves the `<account>` of a hub URL to `request.vendor`, once per request.

    An unknown account is a 404, rendered in the hub's look by handler404.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        vendor = getattr(request, "vendor", None)
        if vendor is not None:
            language_cookies_set(response, request, vendor)
        return response

    def process_view(self, request: VendorRequest, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("account")
        if slug is None:
            return None
        vendor = vendor_for_slug(slug=slug)
        if vendor is None:
            raise Http404("No such account")
        request.vendor = vendor
        # The visitor's language among the vendor's (vendors.languages); a
        # signed-in customer's stored choice is applied where the session
        # names them (magiclinks.sessions.customer_signed_in).
        language_activate(request, request_language(request, vendor))
        return None


class HubNotFoundMiddleware:
    """With DEBUG on, Django answers a 404 (and a 500) with its technical page (the URL
    patterns, the settings' names). A hub address gets the customer's 404
    in the vendor's look instead, so the demo and development show what a
    customer would see; the admin and the rest keep the technical page,
    which is what a developer wants there. Without DEBUG, handler404
    already renders the same page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and HUB_PATH.match(request.path_info)
            and not getattr(response, "hub_not_found", False)
        ):
            response = not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        """The same for an error: with DEBUG on, a hub address gets the 500
        page in the vendor's look (the demo shows what a customer would see)
        and the traceback goes to the log, where a developer reads it."""
        if not settings.DEBUG or not HUB_PATH.match(request.path_info):
            return None
        if isinstance(exception, Http404 | PermissionDenied | SuspiciousOperation):
            return None  # Django's own handling: a 404, 403 or 400
        logging.getLogger("django.request").error(
            "Internal Server Error: %s", request.path, exc_info=exception
        )
        return server_error(request)


class ContentSecurityPolicyMiddleware:
    """A strict CSP on every response that does not set its own.

    Inline <style> and <script> need the per-request nonce (the brand colour
    is set that way). A view that embeds a third party (the Stripe card page)
    sets its own, wider header. The admin keeps inline styles.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: VendorRequest):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp_header(request)
        return response


def csp_header(
    request: VendorRequest, *, script_src: str = "", frame_src: str = "", connect_src: str = ""
) -> str:
    nonce = f"'nonce-{request.csp_nonce}'"
    frames = frame_src or "'none'"
    style_extra = " 'unsafe-inline'" if request.path.startswith("/admin/") else f" {nonce}"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {nonce}{(' ' + script_src) if script_src else ''}",
            f"style-src 'self'{style_extra}",
            "img-src 'self' data:",
            f"connect-src 'self'{(' ' + connect_src) if connect_src else ''}",
            f"frame-src {frames}",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )
