"""The signed-in customer's subscriptions: the list, click-to-cancel (and
taking it back), and the card update."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billing.cancellation import (
    CancelInProgress,
    KeepInProgress,
    subscription_can_cancel,
    subscription_can_undo,
    subscription_cancel,
    subscription_cancel_plan,
    subscription_cancel_undo,
)
from billing.cards import (
    PAYABLE_STATUSES,
    PLACE_HUB,
    PLACE_PAYPAL,
    card_error_message,
    card_invoice_retry,
    card_open_invoice,
    card_paypal_manage_url,
    card_setup_refusal,
    card_setup_start,
    card_update_complete,
    card_update_place,
    subscription_payable,
)
from billing.models import Subscription
from billing.processors.adapters.base import ProcessorError
from billing.subscriptions import subscription_for_customer, subscription_rows
from magiclinks.services import card_link_queue
from magiclinks.sessions import CustomerRequest, customer_required

from .middleware import csp_header
from .subscription_forms import CancelForm, CardForm


def _private(response: HttpResponse) -> HttpResponse:
    # A signed-in page about someone's money: no cache may keep it.
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response


def _subscriptions_path(request: CustomerRequest) -> str:
    return f"{request.vendor.hub_path}subscriptions/"


@require_safe
@customer_required
def subscriptions(request: CustomerRequest, account: str) -> HttpResponse:
    rows = subscription_rows(customer=request.customer)
    return _private(render(request, "hub/subscriptions.html", {"rows": rows}))


# --- click to cancel ----------------------------------------------------------


def _cancellable(request: CustomerRequest, subscription_id: int) -> Subscription:
    """The customer's subscription, when this vendor lets customers cancel;
    a 404 otherwise (no button, and no page behind it)."""
    if not request.vendor.self_cancel:
        raise Http404
    return subscription_for_customer(customer=request.customer, subscription_id=subscription_id)


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
def cancel(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    """One confirmation page: what stops, when, no refund; then Confirm."""
    subscription = _cancellable(request, subscription_id)
    done = redirect(f"{_subscriptions_path(request)}{subscription.pk}/cancel/done/")
    if not subscription_can_cancel(subscription=subscription):
        return done  # cancelled already (perhaps by a double click): say so
    form = CancelForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            subscription_cancel(
                subscription=subscription,
                request=request,
                reason_code=form.cleaned_data["reason"],
                reason_text=form.cleaned_data["reason_text"],
            )
        except CancelInProgress:
            return done
        except ProcessorError as failure:
            error = failure.message
        else:
            return done
    context = {
        "subscription": subscription,
        "plan": subscription_cancel_plan(subscription=subscription),
        "form": form,
        "error": error,
    }
    status = 502 if error else 200
    return _private(render(request, "hub/cancel.html", context, status=status))


@require_safe
@customer_required
def cancel_done(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    subscription = _cancellable(request, subscription_id)
    if subscription_can_cancel(subscription=subscription) and not subscription.cancel_requested_at:
        # Nothing was cancelled: the confirmation page is where to go.
        return redirect(f"{_subscriptions_path(request)}{subscription.pk}/cancel/")
    context = {
        "subscription": subscription,
        "in_progress": subscription_can_cancel(subscription=subscription),
        "can_keep": subscription_can_undo(subscription=subscription),
    }
    return _private(render(request, "hub/cancel_done.html", context))


@require_POST
@customer_required
def keep(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    """ "Keep my subscription": undo a cancellation set for the period's end."""
    subscription = subscription_for_customer(
        customer=request.customer, subscription_id=subscription_id
    )
    if not subscription_can_undo(subscription=subscription):
        raise Http404
    try:
        subscription_cancel_undo(subscription=subscription, request=request)
    except KeepInProgress:
        pass  # a double click: the first request keeps it, the page shows it
    except ProcessorError as failure:
        messages.error(request, failure.message)
        if failure.code == "payment_required" and card_update_place(subscription):
            # PayPal suspended it for unpaid renewals: the way on is to pay
            # there, from the page with the "Manage on PayPal" button.
            return redirect(f"{_subscriptions_path(request)}{subscription.pk}/card/")
    else:
        messages.success(
            request,
            _("You kept %(product)s: it carries on as before.")
            % {"product": subscription.product_name},
        )
    return redirect(_subscriptions_path(request))


# --- card ---------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _card_csp(request: CustomerRequest) -> str:
    """Stripe's script, frames and API on this page only (and only here)."""
    js = _origin(settings.STRIPE_JS_URL)
    api = (
        _origin(settings.STRIPE_API_BASE) if settings.STRIPE_API_BASE else "https://api.stripe.com"
    )
    scripts, frames = js, js
    if js == "https://js.stripe.com":
        # Stripe.js loads helpers from its subdomains and 3-D Secure pages
        # from hooks.stripe.com (Stripe's documented CSP).
        scripts = f"{js} https://*.js.stripe.com"
        frames = f"{js} https://*.js.stripe.com https://hooks.stripe.com"
    return csp_header(request, script_src=scripts, frame_src=frames, connect_src=f"{js} {api}")


def _card_subscription(request: CustomerRequest, subscription_id: int) -> Subscription:
    subscription = subscription_for_customer(
        customer=request.customer, subscription_id=subscription_id
    )
    if not card_update_place(subscription):
        raise Http404  # cancelled or never charging: no card to update
    return subscription


def _card_page(request, subscription, *, form=None, error="", refused=False, status=200):
    """The card page. It never creates a SetupIntent: a GET or HEAD comes as
    often from a mail scanner or a prefetch as from the customer. The page's
    script asks card_setup for one when the customer presses Save card."""
    context = {"subscription": subscription, "place": card_update_place(subscription)}
    if context["place"] == PLACE_PAYPAL:
        try:
            context["manage_url"] = card_paypal_manage_url(subscription=subscription)
        except ProcessorError as failure:
            context["error"] = failure.message
        return _private(render(request, "hub/card.html", context, status=status))
    if not refused and (refusal := card_setup_refusal(subscription=subscription)):
        error, refused = refusal, True
    context.update(
        form=form or CardForm(),
        error=error,
        refused=refused,
        stripe_js_url=settings.STRIPE_JS_URL,
        publishable_key=request.vendor.stripe_publishable_key,
    )
    response = _private(render(request, "hub/card.html", context, status=status))
    response["Content-Security-Policy"] = _card_csp(request)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
def card(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    """Update the card (Stripe Elements + SetupIntent), or go to PayPal."""
    subscription = _card_subscription(request, subscription_id)
    if request.method != "POST" or card_update_place(subscription) != PLACE_HUB:
        return _card_page(request, subscription)
    form = CardForm(request.POST)
    if not form.is_valid():
        return _card_page(request, subscription, error=_("Please enter your card again."))
    try:
        card_update_complete(
            subscription=subscription,
            setup_intent_id=form.cleaned_data["setup_intent"],
            request=request,
        )
    except ProcessorError as failure:
        refused = failure.code in {"refused", "not_found", "not_connected"}
        return _card_page(request, subscription, error=failure.message, refused=refused)
    return redirect(f"{_subscriptions_path(request)}{subscription.pk}/card/updated/")


@require_POST
@customer_required
def card_setup(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    """The SetupIntent for one Save card: its client secret, which Stripe.js
    confirms with the card in the browser (JSON, for the card page's script).
    A POST with the page's CSRF token: nothing a link scanner does makes one."""
    subscription = _card_subscription(request, subscription_id)
    try:
        intent = card_setup_start(subscription=subscription)
    except ProcessorError as failure:
        body = {"error": str(failure.message), "refused": not failure.retryable}
        response = JsonResponse(body, status=502 if failure.retryable else 409)
    else:
        response = JsonResponse({"client_secret": intent.client_secret})
    return _private(response)


@require_safe
@customer_required
def card_updated(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    """The confirmation, with the new card; a past-due subscription is offered
    to pay its open invoice with it now. The customer's own subscription is
    never a 404 here, whatever its status became since the card was saved."""
    subscription = subscription_for_customer(
        customer=request.customer, subscription_id=subscription_id
    )
    context = {
        "subscription": subscription,
        "open_invoice": card_open_invoice(subscription=subscription),
    }
    return _private(render(request, "hub/card_updated.html", context))


def _nothing_to_pay(subscription: Subscription) -> str:
    """What to tell a customer who came to pay a subscription that no longer
    waits for a payment (a webhook or another tab moved it on meanwhile)."""
    if subscription.status == Subscription.Status.CANCELED:
        return _("%(product)s has ended, so there is nothing to pay.") % {
            "product": subscription.product_name
        }
    return _("Nothing is waiting to be paid for %(product)s: its status is now %(status)s.") % {
        "product": subscription.product_name,
        "status": subscription.get_status_display(),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
def pay(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    """Pay the open invoice of a past-due (or incomplete) subscription with
    the card on file, or with another card first, or on Stripe's own page.

    Never a 404 for a subscription of the customer's whose status moved on
    (paid by a webhook, cancelled, expired): the page says what happened.
    """
    subscription = subscription_for_customer(
        customer=request.customer, subscription_id=subscription_id
    )
    if not subscription_payable(subscription):
        messages.info(request, _nothing_to_pay(subscription))
        return redirect(_subscriptions_path(request))
    if request.method != "POST":
        invoice = card_open_invoice(subscription=subscription)
        if invoice is None and subscription.status not in PAYABLE_STATUSES:
            messages.info(request, _nothing_to_pay(subscription))
            return redirect(_subscriptions_path(request))
        return _pay_page(request, subscription, invoice=invoice)
    try:
        paid = card_invoice_retry(subscription=subscription, request=request)
    except ProcessorError as failure:
        return _pay_page(request, subscription, failure=failure)
    if paid is None:
        messages.info(request, _nothing_to_pay(subscription))
    elif paid.status == "paid":
        messages.success(request, _("Thank you: the payment went through."))
    else:
        messages.error(request, _("The payment did not go through. Please try another card."))
    return redirect(_subscriptions_path(request))


def _pay_page(request, subscription, *, invoice=None, failure: ProcessorError | None = None):
    if failure is not None:
        # The invoice again, for the hosted page's address (3-D Secure is
        # done there, as our page confirms no payment in the browser).
        invoice = card_open_invoice(subscription=subscription)
    context = {
        "subscription": subscription,
        "invoice": invoice,
        "error": _pay_failure_words(failure) if failure else "",
        "needs_authentication": bool(failure and failure.code == "authentication_required"),
    }
    status = 200 if failure is None else 402 if failure.code in _CARD_CODES else 502
    return _private(render(request, "hub/pay.html", context, status=status))


_CARD_CODES = frozenset({"card_declined", "authentication_required"})


def _pay_failure_words(failure: ProcessorError) -> str:
    """A card error carries Stripe's own sentence ("This payment requires
    additional user action before it can be completed successfully."): the
    customer gets ours, as on the card page, with the next step below it."""
    if failure.code == "card_declined":
        return card_error_message(failure.code)
    if failure.code == "authentication_required":
        return _("Your bank wants to confirm this payment with you, so nothing was charged yet.")
    return failure.message


@require_POST
@customer_required
def card_email_link(request: CustomerRequest, account: str, subscription_id: int) -> HttpResponse:
    """Email a one-hour sign-in link that opens this card page: for when
    the processor refused the update here, to try again later or elsewhere."""
    subscription = _card_subscription(request, subscription_id)
    customer = request.customer
    verdict = card_link_queue(
        request=request,
        customer=customer,
        next_path=f"{_subscriptions_path(request)}{subscription.pk}/card/",
    )
    if verdict.allowed:
        messages.success(
            request,
            _("We sent a secure link to %(email)s. It opens this card page and works for one hour.")
            % {"email": customer.email},
        )
    else:
        messages.error(request, _("We sent a link a moment ago. Please check your email."))
    return redirect(_subscriptions_path(request))
