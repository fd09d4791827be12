"""Where localstripe (the fake Stripe of the tests and the demo) differs from
Stripe in a way the hub relies on, we patch the fake here, never the adapter.

Each patch says what real Stripe does. localstripe is GPL: it is imported and
wrapped, none of its code is copied. `apply()` must run before
`localstripe.server` is imported, because the server builds its extra routes
from `localstripe.resources.extra_apis` at import time.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Customer,
    Event,
    Invoice,
    List,
    PaymentIntent,
    PaymentMethod,
    Refund,
    SetupIntent,
    StripeObject,
    Subscription,
    extra_apis,
)
from localstripe.webhooks import schedule_webhook

INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")

_applied = False


def apply() -> None:
    """Patch localstripe in this process (idempotent)."""
    global _applied
    if _applied:
        return
    if "localstripe.server" in sys.modules:
        raise RuntimeError("apply() the localstripe patches before importing localstripe.server")
    _subscription_default_payment_method()
    _subscription_cancellation()
    _subscription_trialing()
    _setup_intent_confirm()
    _invoice_list_status()
    _invoice_pay_with_payment_method()
    _test_cards()
    _charge_invoice()
    _missing_events()
    _bulk_paid_invoices()
    _refunds_by_charge()
    _failing_invoice_lists()

    _webhook_endpoints_list()
    _applied = True


def _route(path_method: tuple[str, str], handler: Any) -> None:
    """Replace the handler of one of localstripe's extra routes."""
    method, url = path_method
    for index, (m, u, _func) in enumerate(extra_apis):
        if (m, u) == (method, url):
            extra_apis[index] = (m, u, handler)
            return
    raise LookupError(f"localstripe has no route {method} {url}")


# --- subscriptions -----------------------------------------------------------------


def _subscription_default_payment_method() -> None:
    """Stripe: a subscription has `default_payment_method` (null until set),
    settable on create and update, used before the customer's default; it must
    be a payment method attached to the subscription's customer.
    localstripe: no such field, so setting it is a 500 and expanding it a 400."""
    original_init = Subscription.__init__
    original_update = Subscription._update

    def check(subscription: Any, payment_method: Any) -> str | None:
        if payment_method in (None, ""):
            return None
        method = PaymentMethod._api_retrieve(payment_method)  # 404 when unknown
        if method.customer != subscription.customer:
            raise UserError(
                400,
                f"The customer does not have a payment method with the ID {payment_method}.",
                {"code": "resource_missing", "param": "default_payment_method"},
            )
        return method.id

    def __init__(self: Any, *args: Any, default_payment_method: Any = None, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.default_payment_method = None
        self.default_payment_method = check(self, default_payment_method)

    def _update(self: Any, default_payment_method: Any = None, **data: Any) -> None:
        if default_payment_method is not None:
            self.default_payment_method = check(self, default_payment_method)
        if data:
            original_update(self, **data)

    Subscription.__init__ = __init__
    Subscription._update = _update


def _subscription_cancellation() -> None:
    """Stripe: cancelling now sets `canceled_at`; asking to cancel at period
    end sets it to the time of the request (and undoing clears it); update
    takes `cancellation_details` (comment, feedback).
    localstripe: `canceled_at` stays null and `cancellation_details` is a 500."""
    original_init = Subscription.__init__
    original_update = Subscription._update
    original_delete = Subscription._api_delete.__func__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.cancellation_details = {"comment": None, "feedback": None, "reason": None}

    def _update(self: Any, cancellation_details: Any = None, **data: Any) -> None:
        if cancellation_details is not None:
            if not isinstance(cancellation_details, dict):
                raise UserError(400, "Bad request")
            self.cancellation_details = {
                **self.cancellation_details,
                **{k: v or None for k, v in cancellation_details.items()},
            }
        if data:
            original_update(self, **data)
        if "cancel_at_period_end" in data:
            self.canceled_at = int(time.time()) if self.cancel_at_period_end else None

    def _api_delete(cls: Any, id: str) -> Any:
        subscription = original_delete(cls, id)
        subscription.canceled_at = subscription.canceled_at or int(time.time())
        subscription.cancellation_details = {
            **subscription.cancellation_details,
            "reason": "cancellation_requested",
        }
        return subscription

    Subscription.__init__ = __init__
    Subscription._update = _update
    Subscription._api_delete = classmethod(_api_delete)


def _subscription_trialing() -> None:
    """Stripe: a subscription started with a trial is `trialing` until the
    trial ends. localstripe: it stays `incomplete`."""
    original_init = Subscription.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.status == "incomplete" and (self.trial_end or self.trial_period_days):
            self.status = "trialing"
            self.trial_start = self.start_date

    Subscription.__init__ = __init__


# --- setup intents -------------------------------------------------------------------


def _setup_intent_confirm() -> None:
    """Stripe: a SetupIntent that succeeds attaches its payment method to the
    intent's customer; a declined card leaves the intent
    `requires_payment_method` with `last_setup_error` (code, decline code and
    the customer-facing message) and answers 402 with a `card_error`.
    localstripe: nothing is attached, a decline ends the intent `canceled`."""
    original_init = SetupIntent.__init__
    original_confirm = SetupIntent._api_confirm

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.last_setup_error = None

    def confirm(**data: Any) -> Any:
        try:
            intent = original_confirm(**data)
        except UserError as exc:
            if exc.code == 402:
                intent = SetupIntent._api_retrieve(data["id"])
                error = exc.body["error"]
                error["type"] = "card_error"
                error.setdefault("decline_code", "generic_decline")
                intent.last_setup_error = {
                    "code": error.get("code"),
                    "decline_code": error.get("decline_code"),
                    "message": error.get("message"),
                    "payment_method": {"id": intent.payment_method},
                    "type": "card_error",
                }
                intent.status = "requires_payment_method"
                intent.payment_method = None
            raise
        intent.last_setup_error = None
        if intent.status == "succeeded" and intent.customer and intent.payment_method:
            Customer._api_retrieve(intent.customer)
            method = PaymentMethod._api_retrieve(intent.payment_method)
            method.customer = method.customer or intent.customer
        return intent

    SetupIntent.__init__ = __init__
    _route(("POST", "/v1/setup_intents/{id}/confirm"), confirm)
    _route(("POST", "/v1/setup_intents/{id}/cancel"), _setup_intent_authentication_failed)


def _setup_intent_authentication_failed(**data: Any) -> Any:
    """Stripe: a failed 3-D Secure challenge leaves the SetupIntent
    `requires_payment_method` with `last_setup_error`
    (setup_intent_authentication_failure); the customer may try another card.
    localstripe's fake Stripe.js reports a failed challenge by calling
    /cancel (with `use_stripe_sdk`), which ends the intent `canceled`: only
    that call is turned into a failed authentication; a server's cancel still
    cancels."""
    intent = SetupIntent._api_retrieve(data["id"])
    if data.get("use_stripe_sdk") and intent.status == "requires_action":
        client_secret = data.get("client_secret")
        if client_secret and client_secret != intent.client_secret:
            raise UserError(401, "Unauthorized")
        intent.last_setup_error = {
            "code": "setup_intent_authentication_failure",
            "message": (
                "The latest attempt to set up the payment method has failed because "
                "authentication failed."
            ),
            "payment_method": {"id": intent.payment_method},
            "type": "invalid_request_error",
        }
        intent.status = "requires_payment_method"
        intent.payment_method = None
        intent.next_action = None
        return intent
    return SetupIntent._api_cancel(**data)


# --- invoices -------------------------------------------------------------------------


def _invoice_list_status() -> None:
    """Stripe: GET /v1/invoices takes `status` (draft, open, paid,
    uncollectible, void). localstripe: 500."""
    original = Invoice._api_list_all.__func__

    def _api_list_all(cls: Any, url: Any, status: Any = None, **kwargs: Any) -> Any:
        if status is not None and status not in INVOICE_STATUSES:
            raise UserError(400, "Bad request")
        listed = original(cls, url, **kwargs)
        if status is not None:
            listed._list = [invoice for invoice in listed._list if invoice.status == status]
        return listed

    Invoice._api_list_all = classmethod(_api_list_all)


def _invoice_pay_with_payment_method() -> None:
    """Stripe: POST /v1/invoices/{id}/pay takes `payment_method` (one of the
    customer's) and answers 402 `card_error` when the charge is declined.
    localstripe: `payment_method` is a 500, and a decline returns the invoice
    still open with a 200. Likewise a card that needs 3-D Secure: Stripe
    answers 402 `invoice_payment_intent_requires_action`."""
    original = Invoice._api_pay_invoice

    def pay(id: str, payment_method: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        invoice = Invoice._api_retrieve(id)
        customer = Customer._api_retrieve(invoice.customer)
        saved = customer.invoice_settings.get("default_payment_method")
        if payment_method:
            method = PaymentMethod._api_retrieve(payment_method)
            if method.customer != invoice.customer:
                raise UserError(
                    400,
                    f"The customer does not have a payment method with the ID {payment_method}.",
                    {"code": "resource_missing", "param": "payment_method"},
                )
            customer.invoice_settings["default_payment_method"] = method.id
        try:
            paid = original(id)
        finally:
            customer.invoice_settings["default_payment_method"] = saved
        intent = PaymentIntent._api_retrieve(paid.payment_intent) if paid.payment_intent else None
        if paid.status == "open" and intent is not None and intent.status == "requires_action":
            error = UserError(
                402,
                "This payment requires additional user action before it can be completed "
                "successfully.",
                {"code": "invoice_payment_intent_requires_action"},
            )
            error.body["error"]["type"] = "card_error"
            raise error
        charge = paid.charge
        if paid.status == "open" and charge is not None and charge.status == "failed":
            error = UserError(
                402,
                charge.failure_message,
                {"code": charge.failure_code, "charge": charge.id},
            )
            error.body["error"]["type"] = "card_error"
            raise error
        return paid

    _route(("POST", "/v1/invoices/{id}/pay"), pay)


# --- cards -------------------------------------------------------------------------------


def _test_cards() -> None:
    """Stripe: the test payment method `pm_card_mastercard` is a Mastercard
    ending 4444, `pm_card_authenticationRequired` a card that always asks for
    3-D Secure (4000 0027 6000 3184), and a card's `brand` follows its number. localstripe: only
    `pm_card_visa` (and two decline cards) exist, and every card says visa."""
    original_init = PaymentMethod.__init__
    original_test_article = PaymentMethod._try_get_canonical_test_article.__func__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.type == "card":
            self.card["brand"] = _brand(self._card_number)

    def _try_get_canonical_test_article(cls: Any, id: str) -> Any:
        if id == "pm_card_authenticationRequired":
            return PaymentMethod(
                type="card",
                card={
                    "number": "4000002760003184",
                    "exp_month": "12",
                    "exp_year": "2034",
                    "cvc": "123",
                },
            )
        if id == "pm_card_mastercard":
            return PaymentMethod(
                type="card",
                card={
                    "number": "5555555555554444",
                    "exp_month": "12",
                    "exp_year": "2034",
                    "cvc": "123",
                },
            )
        return original_test_article(cls, id)

    PaymentMethod.__init__ = __init__
    PaymentMethod._try_get_canonical_test_article = classmethod(_try_get_canonical_test_article)


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


# --- webhooks ------------------------------------------------------------------------------


def _charge_invoice() -> None:
    """Stripe: the charge that pays an invoice names it (`charge.invoice`).
    localstripe: always null."""
    original = PaymentIntent._create_charge

    def _create_charge(self: Any, *args: Any, **kwargs: Any) -> Any:
        # Set before the charge settles, so events sent on success carry it.
        original_charge_init = Charge.__init__
        invoice = self.invoice

        def charge_init(charge: Any, *a: Any, **kw: Any) -> None:
            original_charge_init(charge, *a, **kw)
            charge.invoice = invoice

        Charge.__init__ = charge_init
        try:
            return original(self, *args, **kwargs)
        finally:
            Charge.__init__ = original_charge_init

    PaymentIntent._create_charge = _create_charge


def _missing_events() -> None:
    """Stripe sends `invoice.paid` (beside `invoice.payment_succeeded`),
    `charge.refunded` when a refund is made, `customer.subscription.updated`
    on every change to a subscription and `payment_method.attached`.
    localstripe sends none of these four: they are sent here, through its own
    webhook machinery (signed, ~1 s later), at the moments Stripe would."""
    original_success = Invoice._on_payment_success

    def _on_payment_success(self: Any) -> None:
        original_success(self)
        schedule_webhook(Event("invoice.paid", self))

    Invoice._on_payment_success = _on_payment_success

    original_refund_init = Refund.__init__

    def refund_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_refund_init(self, *args, **kwargs)
        schedule_webhook(Event("charge.refunded", Charge._api_retrieve(self.charge)))

    Refund.__init__ = refund_init

    def _api_update(cls: Any, id: str, **data: Any) -> Any:
        updated = StripeObject._api_update.__func__(cls, id, **data)
        schedule_webhook(Event("customer.subscription.updated", updated))
        return updated

    Subscription._api_update = classmethod(_api_update)

    original_attach = PaymentMethod._api_attach

    def attach(**data: Any) -> Any:
        method = original_attach(**data)
        schedule_webhook(Event("payment_method.attached", method))
        return method

    _route(("POST", "/v1/payment_methods/{id}/attach"), attach)


# --- webhook endpoints ------------------------------------------------------------------


def _webhook_endpoints_list() -> None:
    """Stripe: GET /v1/webhook_endpoints lists the account's endpoints (url,
    enabled_events, status). localstripe: 404; its endpoints are registered
    with POST /_config/webhooks/<id> instead. List those, in Stripe's shape."""
    from localstripe import webhooks

    class _Listed:
        def __init__(self, data: list[dict[str, Any]]) -> None:
            self.data = data

        def _export(self, expand: Any = None) -> dict[str, Any]:
            return {
                "object": "list",
                "url": "/v1/webhook_endpoints",
                "has_more": False,
                "data": self.data,
            }

    def _list(limit: Any = None, starting_after: Any = None, **kwargs: Any) -> _Listed:
        return _Listed(
            [
                {
                    "id": f"we_{key}",
                    "object": "webhook_endpoint",
                    "url": hook.url,
                    "enabled_events": list(hook.events) if hook.events else ["*"],
                    "status": "enabled",
                    "livemode": False,
                }
                for key, hook in sorted(webhooks._webhooks.items())
            ]
        )

    extra_apis.append(("GET", "/v1/webhook_endpoints", _list))


# --- test data -------------------------------------------------------------------------------


def _bulk_paid_invoices() -> None:
    """Test-only route (no Stripe counterpart): POST /_test/paid_invoices with
    `customer`, `subscription` and `count` issues `count` more invoices of
    that subscription (renewals, as localstripe only invoices subscriptions)
    and pays them, through localstripe's own objects, in one request.
    Importing a vendor with 1,000 invoices would otherwise take 2,000 calls
    to set up."""

    def create(**data: Any) -> Any:
        invoice = None
        for _ in range(int(data.get("count", 1))):
            invoice = Invoice._api_create(
                customer=str(data["customer"]), subscription=str(data["subscription"])
            )
            Invoice._api_pay_invoice(invoice.id)
        return invoice

    extra_apis.append(("POST", "/_test/paid_invoices", create))


def _refunds_by_charge() -> None:
    """Speed, not behaviour: localstripe finds a charge's refunds by scanning
    its whole store, for every charge it exports (and an invoice exports its
    charge), so listing a page of 100 invoices from a store of thousands took
    seconds. Refunds are indexed by charge as they are made instead."""
    index: dict[str, list[Any]] = {}
    original_init = Refund.__init__

    def refund_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        index.setdefault(self.charge, []).append(self)

    def refunds(self: Any) -> Any:
        listed = List("/v1/charges/" + self.id + "/refunds")
        listed._list = list(index.get(self.id, []))
        return listed

    Refund.__init__ = refund_init
    Charge.refunds = property(refunds)


def _failing_invoice_lists() -> None:
    """Test-only route (no Stripe counterpart): POST /_test/fail_invoice_lists
    with `after` and `count` makes invoice list calls fail with a 500 (as
    Stripe does in an outage) after `after` more successful ones, `count`
    times: how the tests interrupt an import midway."""
    state = {"after": 0, "count": 0}
    original = Invoice._api_list_all.__func__

    def _api_list_all(cls: Any, url: Any, **kwargs: Any) -> Any:
        if state["count"] > 0:
            if state["after"] > 0:
                state["after"] -= 1
            else:
                state["count"] -= 1
                raise UserError(500, "An error occurred with our connection to Stripe.")
        return original(cls, url, **kwargs)

    def configure(**data: Any) -> Any:
        state["after"] = int(data.get("after", 0))
        state["count"] = int(data.get("count", 1))
        return List("/_test/fail_invoice_lists")

    Invoice._api_list_all = classmethod(_api_list_all)
    extra_apis.append(("POST", "/_test/fail_invoice_lists", configure))
