"""The access form as a page any hub URL can answer with.

The hub's home URL shows the dashboard to a signed-in customer and this form
to everyone else; it renders the form through here rather than by calling a
view of this app, so views stay the URL's business and the form's context
(why the person is here, the session limits) has one home.
"""

import functools

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from vendors.http import VendorRequest

from .forms import AccessRequestForm
from .sessions import ENDED_REASONS, hub_next_path


def access_headers(view):
    """`Referrer-Policy: no-referrer` (a token in the address bar must not
    travel to another site) and `Cache-Control: no-store` (a shared
    computer's back button must not show a signed-in page)."""

    @functools.wraps(view)
    def wrapper(request: VendorRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        add_never_cache_headers(response)
        return response

    return wrapper


def access_form_render(
    request: VendorRequest, form, *, ended=None, link_invalid=False
) -> HttpResponse:
    context = {
        "form": form,
        "ended": ended if ended in ENDED_REASONS else None,
        "link_invalid": link_invalid,
        "idle_minutes": settings.HUB_SESSION_IDLE // 60,
        "max_hours": settings.HUB_SESSION_MAX_AGE // 3600,
    }
    return render(request, "magiclinks/access_form.html", context)


@access_headers
def access_form_page(request: VendorRequest, *, ended: str | None = None) -> HttpResponse:
    """The access form. `?email=` pre-fills it (receipt buttons), `?next=`
    is carried to after sign-in, `?link=invalid` and `ended` say why the
    person is here."""
    form = AccessRequestForm(
        vendor=request.vendor,
        initial={
            "email": request.GET.get("email", "")[:254],
            "next": hub_next_path(request.GET.get("next"), vendor=request.vendor),
        },
    )
    return access_form_render(
        request, form, ended=ended, link_invalid=request.GET.get("link") == "invalid"
    )
