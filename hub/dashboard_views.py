"""The signed-in customer's hub pages: the dashboard and Update my info."""

from typing import cast

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.cards import PLACE_HUB, card_update_place
from billing.processors.adapters.base import ProcessorError
from billing.selectors import payment_recent, subscription_list_with_card
from magiclinks.email_changes import profile_update
from magiclinks.pages import access_form_page
from magiclinks.sessions import (
    CustomerRequest,
    customer_from_session,
    customer_required,
    customer_signed_in,
    signed_in_headers,
)
from vendors.http import VendorRequest

from .forms import ProfileForm, address_display


def home(request: VendorRequest, account: str) -> HttpResponse:
    """The dashboard when signed in, else the access form."""
    customer, ended = customer_from_session(request, vendor=request.vendor)
    if customer is None:
        return access_form_page(request, ended=ended or request.GET.get("ended"))
    # What customer_required does for the other pages; decorating the
    # dashboard too would read the session and the customer twice.
    signed_in = cast(CustomerRequest, request)
    customer_signed_in(signed_in, customer)
    return signed_in_headers(_dashboard(signed_in))


def _dashboard(request: CustomerRequest) -> HttpResponse:
    customer = request.customer
    card_subscriptions = subscription_list_with_card(customer=customer)
    context = {
        "customer": customer,
        "address": address_display(customer),
        "card_subscriptions": card_subscriptions,
        # A PayPal subscriber changes the funding at PayPal: offering them
        # "Update a card" in the hub would lead to a page without a card form.
        "card_in_hub": any(card_update_place(s) == PLACE_HUB for s in card_subscriptions),
        "recent_payments": payment_recent(customer=customer),
        # No ProfileForm here: the dialog fetches it from /profile/?part=dialog
        # when opened (rendering its country list was half the page's time).
    }
    return render(request, "hub/dashboard.html", context)


@customer_required
def profile(request: CustomerRequest, account: str) -> HttpResponse:
    """Update my info: a page of its own, which the dashboard's dialog posts to."""
    customer = request.customer
    form = ProfileForm(request.POST if request.method == "POST" else None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            update = profile_update(request=request, customer=customer, data=form.cleaned_data)
        except ProcessorError as error:
            # The processor refused the new tax ID: nothing was saved.
            form.add_error("tax_id", error.message)
            return _profile_form_page(request, form)
        if update.email_asked:
            messages.info(
                request,
                _(
                    "To change your email, open the link we have just sent to the new "
                    "address. Until then your email stays as it was."
                ),
            )
        elif update.email_retry_after:
            minutes = max(1, -(-update.email_retry_after // 60))
            messages.error(
                request,
                ngettext(
                    "Your email was not changed: too many changes were asked for. "
                    "Please try again in %(minutes)d minute.",
                    "Your email was not changed: too many changes were asked for. "
                    "Please try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
        if update.changed:
            messages.success(request, _("Your details are saved."))
        elif not update.email_asked and not update.email_retry_after:
            messages.info(request, _("Nothing changed: your details are as they were."))
        return redirect(request.vendor.hub_path)
    return _profile_form_page(request, form)


def _profile_form_page(request: CustomerRequest, form: ProfileForm) -> HttpResponse:
    if request.GET.get("part") == "dialog":
        # The form alone, for the dashboard's dialog (hub.js puts it in):
        # fetched when the dialog opens, and again with its errors after a
        # save that did not validate, so the dialog stays open on them.
        status = 400 if request.method == "POST" else 200
        response = render(request, "hub/_profile_dialog.html", {"form": form}, status=status)
        response["Cache-Control"] = "private, no-store"
        return response
    return render(request, "hub/profile.html", {"customer": request.customer, "form": form})
