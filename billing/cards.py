"""Card update for a Stripe subscription, in the hub.

Card numbers never reach our server: the browser gives the card to Stripe's
own field (Stripe.js) against a SetupIntent we create, and we only learn
which payment method came out of it. Before using it we ask Stripe for the
SetupIntent ourselves and check that it belongs to this customer, so a
SetupIntent id typed into the form by someone else changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vendors.formatting import language_pick
from vendors.languages import page_language

from .audit import audit_record
from .processors.adapters import adapter_for, stripe_adapter_for
from .processors.adapters.base import (
    MESSAGE_REFUSED,
    CardSummary,
    ProcessorError,
    ProcessorInvoice,
    ProcessorSetupIntent,
)

if TYPE_CHECKING:
    from .processors.adapters.stripe import StripeAdapter
from .models import AuditEvent, Processor, Subscription

# Statuses in which the processor still charges a card (so one can be updated).
# `incomplete` is one of them: its first payment failed and Stripe waits (a
# day) for it to be paid, which takes a working card.
CARD_STATUSES = frozenset(
    {
        Subscription.Status.ACTIVE,
        Subscription.Status.TRIALING,
        Subscription.Status.PAST_DUE,
        Subscription.Status.INCOMPLETE,
    }
)
# Statuses in which an invoice is waiting to be paid: the hub offers "Pay now".
PAYABLE_STATUSES = frozenset({Subscription.Status.PAST_DUE, Subscription.Status.INCOMPLETE})

PLACE_HUB = "hub"
PLACE_PAYPAL = "paypal"


def card_update_place(subscription: Subscription) -> str:
    """Where this subscription's payment method is changed: in the hub (a
    Stripe card), at PayPal, or nowhere ("" once it no longer charges).

    The one decision the subscriptions page, the dashboard and the card page
    all use.
    """
    if subscription.status not in CARD_STATUSES:
        return ""
    if subscription.processor == Processor.STRIPE:
        return PLACE_HUB
    if subscription.processor == Processor.PAYPAL:
        return PLACE_PAYPAL
    return ""


@dataclass(frozen=True)
class CardUpdate:
    card: CardSummary
    open_invoice: ProcessorInvoice | None


MESSAGE_NO_STRIPE_CUSTOMER = _(
    "We can’t find your card account with the payment processor, so the card can’t be "
    "changed here. Please contact the seller."
)
MESSAGE_NOT_YOURS = _("That card setup does not belong to this account. Nothing was changed.")

# What a customer reads when their card is not accepted: plain words and the
# next step, never the processor's own text (Stripe's is English whatever the
# page's language, and its test fake's can be a bare JavaScript error). The
# card form gets the same words through the card_error_messages template tag,
# keyed by the error codes Stripe.js reports.
MESSAGE_CARD_NOT_SAVED = _(
    "Your card could not be saved, so nothing was changed. Check the card details and try "
    "again; if your bank asks you to confirm that it is you, complete that step. Or use "
    "another card."
)
MESSAGE_CARD_DECLINED = _(
    "Your bank declined this card, so nothing was changed. Try another card, or ask your "
    "bank why it was declined and then try again."
)
MESSAGE_CARD_AUTHENTICATION = _(
    "Your bank could not confirm that this card is yours (the 3-D Secure check did not "
    "finish), so nothing was changed. Try again and complete the check your bank shows, "
    "or use another card."
)
MESSAGE_CARD_EXPIRED = _(
    "This card has expired, so nothing was changed. Use a card that is still valid."
)
MESSAGE_CARD_NUMBER = _(
    "The card number is incomplete or not right. Check the number on your card and try again."
)
MESSAGE_CARD_EXPIRY = _(
    "The expiry date is incomplete or not right. Enter the month and year shown on your "
    "card and try again."
)
MESSAGE_CARD_CVC = _(
    "The security code is incomplete or not right: it is the 3 or 4 digits on your card. "
    "Check it and try again."
)
MESSAGE_CARD_POSTAL_CODE = _(
    "The postal code is incomplete. Enter the postal code of your card's billing address."
)
MESSAGE_CARD_TRY_LATER = _(
    "The payment processor could not check your card just now, so nothing was changed. "
    "Please try again in a few minutes."
)
MESSAGE_SETUP_INCOMPLETE = MESSAGE_CARD_NOT_SAVED

# Stripe's error and decline codes (https://docs.stripe.com/error-codes,
# https://docs.stripe.com/declines/codes) and our ProcessorError codes.
CARD_ERROR_MESSAGES = {
    "card_declined": MESSAGE_CARD_DECLINED,
    "insufficient_funds": MESSAGE_CARD_DECLINED,
    "generic_decline": MESSAGE_CARD_DECLINED,
    "do_not_honor": MESSAGE_CARD_DECLINED,
    "authentication_required": MESSAGE_CARD_AUTHENTICATION,
    "setup_intent_authentication_failure": MESSAGE_CARD_AUTHENTICATION,
    "payment_intent_authentication_failure": MESSAGE_CARD_AUTHENTICATION,
    "expired_card": MESSAGE_CARD_EXPIRED,
    "invalid_expiry_year_past": MESSAGE_CARD_EXPIRED,
    "invalid_expiry_month_past": MESSAGE_CARD_EXPIRED,
    "incorrect_number": MESSAGE_CARD_NUMBER,
    "invalid_number": MESSAGE_CARD_NUMBER,
    "incomplete_number": MESSAGE_CARD_NUMBER,
    "invalid_expiry_month": MESSAGE_CARD_EXPIRY,
    "invalid_expiry_year": MESSAGE_CARD_EXPIRY,
    "incomplete_expiry": MESSAGE_CARD_EXPIRY,
    "incorrect_cvc": MESSAGE_CARD_CVC,
    "invalid_cvc": MESSAGE_CARD_CVC,
    "incomplete_cvc": MESSAGE_CARD_CVC,
    "incorrect_zip": MESSAGE_CARD_POSTAL_CODE,
    "incomplete_zip": MESSAGE_CARD_POSTAL_CODE,
    "processing_error": MESSAGE_CARD_TRY_LATER,
    "rate_limit": MESSAGE_CARD_TRY_LATER,
}


def card_error_message(code: str) -> str:
    """The customer's words for a card error code; anything unknown gets the
    general "not saved, check and try again"."""
    return str(CARD_ERROR_MESSAGES.get(code, MESSAGE_CARD_NOT_SAVED))


def _stripe(subscription: Subscription) -> StripeAdapter:
    if card_update_place(subscription) != PLACE_HUB:
        raise ProcessorError(MESSAGE_REFUSED, code="invalid")
    if not _stripe_customer_id(subscription):
        raise ProcessorError(MESSAGE_NO_STRIPE_CUSTOMER, code="refused")
    return stripe_adapter_for(vendor=subscription.vendor)


def _stripe_customer_id(subscription: Subscription) -> str:
    """The Stripe customer the subscription bills: its own when it came from
    a Stripe customer merged into ours (same email), else the customer's."""
    return subscription.processor_customer_id or subscription.customer.stripe_customer_id


def card_setup_refusal(*, subscription: Subscription) -> str:
    """Why the card cannot be changed here, when we know it without asking
    Stripe (no Stripe customer to attach a card to); "" otherwise. The card
    page shows it at once, instead of a form that could only fail."""
    if card_update_place(subscription) == PLACE_HUB and not _stripe_customer_id(subscription):
        return str(MESSAGE_NO_STRIPE_CUSTOMER)
    return ""


def card_setup_start(*, subscription: Subscription) -> ProcessorSetupIntent:
    """A SetupIntent for the customer, whose client secret the card form uses.

    Only ever on a POST the customer's page makes (Save card): a GET or HEAD
    of the card page, which a mail scanner or a prefetch makes as well as a
    person, must not leave a SetupIntent at Stripe each time.
    """
    adapter = _stripe(subscription)
    return adapter.setup_intent_create(
        customer_id=_stripe_customer_id(subscription),
        idempotency_key=f"hub-setup-{subscription.pk}-{uuid.uuid4()}",
    )


def card_update_complete(
    *, subscription: Subscription, setup_intent_id: str, request: HttpRequest | None
) -> CardUpdate:
    """Make the card the browser just confirmed the subscription's card.

    Raises ProcessorError (nothing changed here) when the SetupIntent is not
    this customer's, did not succeed, or Stripe refuses the update.
    """
    adapter = _stripe(subscription)
    stripe_customer_id = _stripe_customer_id(subscription)
    intent = adapter.setup_intent_get(setup_intent_id=setup_intent_id)
    if intent.customer_id != stripe_customer_id:
        raise ProcessorError(MESSAGE_NOT_YOURS, code="invalid")
    if intent.status != "succeeded" or not intent.payment_method_id:
        # The browser normally stops before posting such a SetupIntent; its
        # error_message is Stripe's English text, kept for nobody to read.
        raise ProcessorError(MESSAGE_SETUP_INCOMPLETE, code="card_declined")
    try:
        card = adapter.default_payment_method_set(
            customer_id=stripe_customer_id,
            subscription_id=subscription.processor_id,
            payment_method_id=intent.payment_method_id,
            idempotency_key=f"hub-card-{subscription.pk}-{intent.id}",
        )
    except ProcessorError as error:
        if error.code not in {"card_declined", "authentication_required"}:
            raise
        # A card error carries Stripe's own sentence: say it in ours, with
        # what to do next.
        raise ProcessorError(
            card_error_message(error.code), code=error.code, detail=error.detail
        ) from error
    previous = {"brand": subscription.card_brand, "last4": subscription.card_last4}
    with transaction.atomic():
        subscription.card_brand = card.brand
        subscription.card_last4 = card.last4
        subscription.card_exp_month = card.exp_month
        subscription.card_exp_year = card.exp_year
        subscription.payment_method_id = card.payment_method_id or intent.payment_method_id
        # Only the card: the row may be a copy read before a Keep, a
        # cancellation or a webhook's record, which a full save would undo.
        # updated_at moves on, so a webhook's read begun before this write
        # is read again rather than recorded (billing.processors.object_reads).
        subscription.save(
            update_fields=[
                "card_brand",
                "card_last4",
                "card_exp_month",
                "card_exp_year",
                "payment_method_id",
                "updated_at",
            ]
        )
        audit_record(
            vendor=subscription.vendor,
            action="card.updated",
            actor=AuditEvent.Actor.CUSTOMER,
            customer=subscription.customer,
            subscription=subscription,
            request=request,
            # The brand and last four only: never more of a card.
            details={"previous": previous, "brand": card.brand, "last4": card.last4},
        )
        from .tasks import card_updated_notify_task

        transaction.on_commit(
            partial(card_updated_notify_task.delay, subscription.pk, page_language(request))
        )
    open_invoice = card_open_invoice(subscription=subscription)
    return CardUpdate(card=card, open_invoice=open_invoice)


def card_paypal_manage_url(*, subscription: Subscription) -> str:
    """PayPal's page where the subscriber changes how this subscription is
    funded (the hub cannot). Raises ProcessorError when the vendor's PayPal
    connection is missing."""
    if card_update_place(subscription) != PLACE_PAYPAL:
        raise ProcessorError(MESSAGE_REFUSED, code="invalid")
    adapter = adapter_for(vendor=subscription.vendor, processor=Processor.PAYPAL)
    return adapter.manage_payments_url(subscription_id=subscription.processor_id)


def subscription_payable(subscription: Subscription) -> bool:
    """Whether an open invoice of this subscription can be paid here: a
    Stripe subscription that still charges a card. Whether one is open is
    Stripe's to say (card_open_invoice): a status is only our last copy,
    and a webhook may move it on between two clicks."""
    return card_update_place(subscription) == PLACE_HUB


def subscription_owes(subscription: Subscription, *, failed_payments: bool) -> bool:
    """Whether the subscriptions page offers "Pay now" without asking Stripe:
    Stripe says a payment is due (past due, incomplete), or a failed payment
    of ours has not been settled by a later one."""
    return subscription_payable(subscription) and (
        subscription.status in PAYABLE_STATUSES or failed_payments
    )


def card_open_invoice(*, subscription: Subscription) -> ProcessorInvoice | None:
    """The unpaid invoice of the subscription, which its card (a new one, or
    the one on file) could pay now; None when there is none or Stripe cannot
    say."""
    if not subscription_payable(subscription):
        return None
    try:
        adapter = _stripe(subscription)
        return adapter.invoice_open_for_subscription(subscription_id=subscription.processor_id)
    except ProcessorError:
        # Offering the payment is a courtesy; its absence must not break the page.
        return None


def card_invoice_retry(
    *, subscription: Subscription, request: HttpRequest | None
) -> ProcessorInvoice | None:
    """Pay the open invoice of a past-due (or incomplete) subscription with
    its card on file now, then read the subscription back so the hub shows
    what Stripe says. Returns the invoice as Stripe answered, or None when
    Stripe has no open invoice for it any more (paid or voided meanwhile:
    the subscription's status is brought up to date all the same).

    A declined card or one that asks for 3-D Secure is a ProcessorError
    (code "card_declined" or "authentication_required"); nothing changes here.
    """
    adapter = _stripe(subscription)
    invoice = adapter.invoice_open_for_subscription(subscription_id=subscription.processor_id)
    if invoice is None:
        _status_refresh(adapter, subscription)
        return None
    paid = adapter.invoice_pay(
        invoice_id=invoice.id,
        payment_method_id=subscription.payment_method_id,
        idempotency_key=f"hub-retry-{subscription.pk}-{invoice.id}",
    )
    with transaction.atomic():
        _status_refresh(adapter, subscription)
        audit_record(
            vendor=subscription.vendor,
            action="payment.retried",
            actor=AuditEvent.Actor.CUSTOMER,
            customer=subscription.customer,
            subscription=subscription,
            request=request,
            details={"invoice": invoice.id, "status": paid.status},
        )
    return paid


def _status_refresh(adapter: StripeAdapter, subscription: Subscription) -> None:
    """Copy Stripe's status and dates onto the row. Only these columns are
    written: a cancellation saved meanwhile by another request is kept."""
    remote = adapter.subscription_get(subscription_id=subscription.processor_id)
    subscription.status = remote.status
    subscription.current_period_end = remote.current_period_end or subscription.current_period_end
    subscription.next_payment_at = remote.next_payment_at
    subscription.save(
        update_fields=["status", "current_period_end", "next_payment_at", "updated_at"]
    )


def card_updated_notify(*, subscription: Subscription, language: str = "") -> None:
    """In the customer's stored language, else `language` (the card page's)."""
    from vendors.mail import mail_send

    mail_send(
        vendor=subscription.vendor,
        to=subscription.customer.email,
        template="card_updated",
        language=language_pick(subscription.vendor, subscription.customer.language, language),
        context={"customer": subscription.customer, "subscription": subscription},
    )
