"""Where localstripe (the fake Stripe of the tests and the demo) differs from
Stripe in a way the hub relies on, we patch the fake here, never the adapter.

Each patch says what real Stripe does, at the API version the hub pins
(2026-10-28, stripe-python 16.1), and the shape patches cite the changelog
entry they follow; no patch adds a field that version does not have
(tests/billing/adapters/test_stripe_contract.py checks the fake's objects
against the SDK's declarations). localstripe is GPL: it is imported and
wrapped, none of its code is copied. `apply()` must run before
`localstripe.server` is imported, because the server builds its extra routes
from `localstripe.resources.extra_apis` at import time.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from localstripe.errors import UserError
from localstripe.resources import (
    Balance,
    Charge,
    Coupon,
    Customer,
    Event,
    Invoice,
    InvoiceItem,
    InvoiceLineItem,
    List,
    PaymentIntent,
    PaymentMethod,
    Plan,
    Product,
    Refund,
    SetupIntent,
    StripeObject,
    Subscription,
    SubscriptionItem,
    TaxId,
    TaxRate,
    extra_apis,
    store,
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
    _invoice_line_pages()
    _test_cards()
    _todays_shapes()
    _invoice_payments()
    _missing_events()
    _bulk_paid_invoices()
    _refunds_by_charge()
    _failing_invoice_lists()
    _declining_attach()
    _customer_tax_ids()
    _taxes_and_discounts()

    _webhook_endpoints_list()
    _webhook_registration_while_sending()
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
    answers 402 `invoice_payment_intent_requires_action`.
    A declined attempt is also an `invoice.payment_failed` event ("occurs
    whenever an invoice payment attempt fails", Stripe's event types) and
    leaves the invoice's subscription `past_due` ("payment on the latest
    finalized invoice either failed or wasn't attempted", Subscription
    statuses); localstripe's /pay route skips that hook, which its own
    automatic renewal runs (`_on_payment_failure_now`)."""
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
            paid._on_payment_failure_now()
            error = UserError(
                402,
                charge.failure_message,
                {"code": charge.failure_code, "charge": charge.id},
            )
            error.body["error"]["type"] = "card_error"
            raise error
        return paid

    _route(("POST", "/v1/invoices/{id}/pay"), pay)


def _invoice_line_pages() -> None:
    """Stripe ("Retrieve an invoice's line items",
    https://docs.stripe.com/api/invoice-line-item/retrieve): an invoice
    embeds the first handful of its lines (`lines` is a list with
    `has_more`), and GET /v1/invoices/{id}/lines pages through all of them
    with `limit` (1 to 100, default 10), `starting_after` (or
    `ending_before`, which the hub never sends) and `expand`; each line
    lists its `discounts`, as the embedded ones do.
    localstripe: the route takes `limit` only (400 "Unexpected
    starting_after") and its lines have no `discounts`, so expanding them
    fails. Kept apart from the invoice's own shape (`_invoice_today`)."""

    class _LinePage(List):
        def _export(self: Any, expand: Any = None) -> Any:
            # No coupons in the fake (see _invoice_today): the lines' discounts
            # are an empty list, which an expansion leaves as it is.
            kept = [p for p in expand or [] if not p.startswith("data.discounts")]
            exported = super()._export(expand=kept)
            for line in exported.get("data") or []:
                line["discounts"] = []
            return exported

    def list_lines(id: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            raise UserError(400, "Received unknown parameters: " + ", ".join(kwargs))
        lines = Invoice._api_retrieve(id).lines._list
        page = _LinePage(
            "/v1/invoices/" + id + "/lines", limit=limit, starting_after=starting_after
        )
        page._list = lines
        return page

    _route(("GET", "/v1/invoices/{id}/lines"), list_lines)


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


# --- today's shapes ---------------------------------------------------------------------
#
# localstripe answers in the shapes of API 2017-08-15; the hub pins 2026-10-28
# (stripe-python 16.1). Fields real Stripe no longer sends are taken out of
# the fake's answers, and the ones that replaced them put in, each citing the
# changelog entry it follows. Nothing is added that the pinned SDK does not
# declare: tests/billing/adapters/test_stripe_contract.py checks every
# object the hub reads against stripe-python's typed resources.

BASIL = "2025-03-31.basil"

# object -> field -> the Stripe changelog entry that removed it.
REMOVED_FIELDS: dict[type, dict[str, str]] = {
    Invoice: {
        "charge": f"{BASIL}: Adds support for multiple (partial) payments on invoices",
        "payment_intent": f"{BASIL}: Adds support for multiple (partial) payments on invoices",
        "subscription": f"{BASIL}: invoice.subscription moved to parent.subscription_details",
        "tax": f"{BASIL}: tax amounts are total_taxes",
        "total_tax_amounts": f"{BASIL}: replaced by total_taxes",
        "discount": f"{BASIL}: discounts (a list) replaces discount",
        "date": "2019-03-14: Invoice date renamed created",
        "tax_percent": "deprecated for default_tax_rates; absent from API 2026-10-28",
        "application_fee": "2019-03-14: renamed application_fee_amount",
    },
    Charge: {"invoice": f"{BASIL}: Removed the invoice field from Charge"},
    PaymentIntent: {
        "invoice": f"{BASIL}: Removed the invoice field from PaymentIntent",
        "charges": "2022-11-15: PaymentIntent.charges removed, latest_charge added",
    },
    Subscription: {
        "current_period_start": f"{BASIL}: billing periods moved to subscription items",
        "current_period_end": f"{BASIL}: billing periods moved to subscription items",
        "discount": f"{BASIL}: discounts (a list) replaces discount",
        "tax_percent": "deprecated for default_tax_rates; absent from API 2026-10-28",
        "plan": "2018-02-05 (multi-plan subscriptions): the plan is on each item",
        "quantity": "2018-02-05 (multi-plan subscriptions): the quantity is on each item",
        "trial_from_plan": "a create parameter, never a field of the object",
        "trial_period_days": "a create parameter, never a field of the object",
    },
    SubscriptionItem: {
        "invoice": "localstripe's own bookkeeping: no such field at Stripe",
        "livemode": "not a field of SubscriptionItem in API 2026-10-28",
    },
    InvoiceLineItem: {
        "tax_amounts": f"{BASIL}: line taxes are `taxes`",
        "tax_rates": f"{BASIL}: line taxes are `taxes`",
        "plan": f"{BASIL}: the price is under pricing, the item under parent",
        "proration": f"{BASIL}: moved under parent",
        "subscription_item": f"{BASIL}: moved under parent",
        "type": f"{BASIL}: replaced by parent.type",
        "invoice_item": f"{BASIL}: moved under parent",
        "created": "not a field of an invoice line in API 2026-10-28",
    },
    Customer: {
        "account_balance": "2019-10-17: Customer account_balance renamed balance",
        "business_vat_id": "2018-08-23: business_vat_id replaced by tax_ids",
    },
    Plan: {
        "name": "2018-02-05: a plan's name is its product's",
        "statement_descriptor": "2018-02-05: moved to the product",
    },
    Product: {
        "attributes": "absent from API 2026-10-28 (stripe-python 16.1 declares none)",
        "caption": "absent from API 2026-10-28 (stripe-python 16.1 declares none)",
    },
    Refund: {
        "date": "2014-era `date` is `created` in API 2026-10-28",
        "livemode": "not a field of Refund in API 2026-10-28",
    },
}


def _todays_shapes() -> None:
    """Every object the hub reads answers in API 2026-10-28's shape."""
    for cls, removed in REMOVED_FIELDS.items():
        _export_without(cls, frozenset(removed))
    _invoice_today()
    _subscription_item_periods()
    _balance_today()
    _event_api_version()


# Expansions asked for on a list ("data.payments") reach its items: localstripe
# exports a list's items without the expand list, so it is carried here.
_item_expand: list[list[str]] = []


def _export_without(cls: type, removed: frozenset[str]) -> None:
    original = cls._export

    def _export(self: Any, expand: Any = None) -> Any:
        exported = original(self, expand=expand)
        for name in removed:
            exported.pop(name, None)
        return exported

    cls._export = _export


def _invoice_today() -> None:
    """Stripe (2025-03-31.basil, "Adds support for multiple (partial) payments
    on invoices"): an invoice's payments are InvoicePayment objects, in
    `invoice.payments` when expanded (not included by default) and at
    GET /v1/invoice_payments; taxes are `total_taxes`; a finalized invoice has
    a `number`, a `hosted_invoice_url` and an `invoice_pdf`.
    localstripe: `charge`/`payment_intent` on the invoice (removed above),
    no payments, no number."""
    original = Invoice._export
    original_list_export = List._export

    def _export(self: Any, expand: Any = None) -> Any:
        if expand:
            paths = list(expand)
        else:
            # A list's own expansion reaches `payments` on the exported dicts
            # afterwards; it only needs the field to be there. localstripe
            # expands no list of ids, so the invoice expands its discounts.
            listed = _item_expand[-1] if _item_expand else []
            paths = ["payments"] if any(_is_payments(p) for p in listed) else []
            paths += ["discounts"] if "discounts" in listed else []
        kept = [p for p in paths if not _is_payments(p) and not _is_discounts(p)]
        exported = original(self, expand=kept)
        # Discounts and taxes as Stripe charges them (section "taxes and
        # discounts" below): `discounts`, `total_discount_amounts`,
        # `total_taxes`, and each line's `taxes` and `discount_amounts`.
        expand_discounts = any(p.split(".")[0] == "discounts" for p in paths)
        _charged_shapes(self, exported, expand_discounts=expand_discounts)
        finalized = self.status != "draft"
        exported["number"] = _invoice_number(self) if finalized else None
        exported["hosted_invoice_url"] = (
            f"https://invoice.stripe.com/i/localstripe/{self.id}" if finalized else None
        )
        exported["invoice_pdf"] = (
            f"https://pay.stripe.com/invoice/localstripe/{self.id}/pdf" if finalized else None
        )
        if any(_is_payments(p) for p in paths):
            listed = List("/v1/invoice_payments?invoice=" + self.id, limit=100)
            listed._list = _payments_of(self)
            payments_expand = [p[len("payments.") :] for p in paths if p.startswith("payments.")]
            exported["payments"] = listed._export(expand=payments_expand)
        return exported

    def list_export(self: Any, expand: Any = None) -> Any:
        items = [p[len("data.") :] for p in expand or [] if p.startswith("data.")]
        _item_expand.append(items)
        try:
            return original_list_export(self, expand=expand)
        finally:
            _item_expand.pop()

    Invoice._export = _export
    List._export = list_export


def _is_payments(path: str) -> bool:
    return path == "payments" or path.startswith("payments.")


def _is_discounts(path: str) -> bool:
    return path.split(".")[0] == "discounts" or path.startswith("lines.data.discounts")


def _invoice_number(invoice: Any) -> str:
    """Stripe numbers invoices per customer prefix; a stable stand-in."""
    return "LS-" + invoice.id[3:11].upper()


def _subscription_item_periods() -> None:
    """Stripe (2025-03-31.basil): `current_period_start` / `current_period_end`
    are on each subscription item (removed from the subscription above), and
    an item names its `subscription`."""
    original = SubscriptionItem._export

    def _export(self: Any, expand: Any = None) -> Any:
        exported = original(self, expand=expand)
        exported["subscription"] = self._subscription  # Stripe names it; localstripe hides it
        subscription = store.get("subscription:" + str(self._subscription))
        if subscription is not None:
            exported["current_period_start"] = subscription.current_period_start
            exported["current_period_end"] = subscription.current_period_end
        return exported

    SubscriptionItem._export = _export


def _balance_today() -> None:
    """Stripe: the balance says `object: "balance"`, and `available` and
    `pending` are lists (one entry per currency). localstripe: no `object`,
    single dicts."""
    original = Balance._export

    def _export(self: Any, expand: Any = None) -> Any:
        exported = original(self, expand=expand)
        exported["object"] = "balance"
        for name in ("available", "pending"):
            if isinstance(exported.get(name), dict):
                exported[name] = [exported[name]]
        return exported

    Balance._export = _export


# The version the fake's objects speak: the pinned SDK's (stripe.api_version).
API_VERSION = "2026-10-28.endive"


def _event_api_version() -> None:
    """Stripe: an event names the API version its object was rendered in
    (the account's or the endpoint's). localstripe stamps 2017-08-15 on
    events whose objects the patches above render in API_VERSION."""
    original = Event.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.api_version = API_VERSION

    Event.__init__ = __init__


# --- invoice payments --------------------------------------------------------------------


class InvoicePayment(StripeObject):
    """Stripe's InvoicePayment (2025-03-31.basil): one payment towards an
    invoice. Computed from the invoice's payment intent, never stored, so it
    can never disagree with it."""

    object = "invoice_payment"
    _id_prefix = "inpay_"

    def __init__(self, invoice: Any) -> None:  # no super(): not stored
        intent = PaymentIntent._api_retrieve(invoice.payment_intent)
        paid = intent.status == "succeeded"
        self.id = "inpay_" + invoice.id[3:]
        self.created = intent.created
        self.livemode = False
        self.invoice = invoice.id
        self.amount_paid = invoice.amount_due if paid else None
        self.amount_requested = invoice.amount_due
        self.currency = invoice.currency
        self.is_default = True
        self.status = "paid" if paid else ("canceled" if intent.status == "canceled" else "open")
        self.payment = {"type": "payment_intent", "payment_intent": intent.id}
        self.status_transitions = {
            "canceled_at": None,
            "paid_at": invoice.status_transitions.get("paid_at") if paid else None,
        }


def _payments_of(invoice: Any) -> list[Any]:
    return [InvoicePayment(invoice)] if invoice.payment_intent else []


def _invoice_payments() -> None:
    """Stripe: GET /v1/invoice_payments lists InvoicePayments, filtered by
    `invoice`, by `payment[type]=payment_intent` + `payment[payment_intent]`,
    and by `status`; GET /v1/invoice_payments/{id} reads one.
    localstripe: neither exists."""

    def _list(
        invoice: Any = None,
        payment: Any = None,
        status: Any = None,
        limit: Any = None,
        starting_after: Any = None,
        **kwargs: Any,
    ) -> Any:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        if payment is not None and not isinstance(payment, dict):
            raise UserError(400, "Bad request")
        wanted_intent = (payment or {}).get("payment_intent")
        found = []
        for key, value in list(store.items()):
            if not key.startswith("invoice:") or not value.payment_intent:
                continue
            if invoice is not None and value.id != invoice:
                continue
            if wanted_intent is not None and value.payment_intent != wanted_intent:
                continue
            found.extend(_payments_of(value))
        if status is not None:
            found = [p for p in found if p.status == status]
        listed = List("/v1/invoice_payments", limit=limit, starting_after=starting_after)
        listed._list = found
        return listed

    def _retrieve(id: str, **kwargs: Any) -> Any:
        invoice = store.get("invoice:in_" + id[len("inpay_") :])
        if invoice is None or not invoice.payment_intent:
            raise UserError(404, "Not Found")
        return InvoicePayment(invoice)

    extra_apis.append(("GET", "/v1/invoice_payments", _list))
    extra_apis.append(("GET", "/v1/invoice_payments/{id}", _retrieve))


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


def _webhook_registration_while_sending() -> None:
    """Not an API shape but a race in the fake itself: localstripe sends an
    event by iterating its registrations dict across awaits, so registering
    an endpoint while an event is in flight raises "dictionary changed size
    during iteration" and the event is never sent (seen in CI with tests in
    random order sharing one fake). Registration replaces the dict instead of
    changing it, so a send in flight finishes over the endpoints it started
    with. Must run before localstripe.server imports `register_webhook`."""
    from localstripe import webhooks

    def register_webhook(id: str, url: str, secret: str, events: Any) -> None:
        webhooks._webhooks = {**webhooks._webhooks, id: webhooks.Webhook(url, secret, events)}

    webhooks.register_webhook = register_webhook


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
    and pays them, through localstripe's own objects, in one request, with
    the customer's default card (a failing one makes failed renewals).
    Importing a vendor with 1,000 invoices would otherwise take 2,000 calls
    to set up."""

    def create(**data: Any) -> Any:
        invoice = None
        for _ in range(int(data.get("count", 1))):
            invoice = Invoice._api_create(
                customer=str(data["customer"]), subscription=str(data["subscription"])
            )
            Invoice._api_pay_invoice(invoice.id)
            charge = invoice.charge
            if invoice.status == "open" and charge is not None and charge.status == "failed":
                # Stripe: a renewal whose charge fails sends
                # invoice.payment_failed and leaves the subscription past_due;
                # localstripe's pay route reports the failure to nobody.
                invoice._on_payment_failure_now()
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


def _declining_attach() -> None:
    """Test-only route (no Stripe counterpart): POST /_test/decline_attach
    with `code`, `decline_code` and `count` makes the next `count` payment
    method attachments answer 402 with that card error. Stripe validates a
    card with its bank when it is attached to a customer, and the bank may
    refuse it then (card_declined, or authentication_required when it wants
    3-D Secure); localstripe declines only its fixed test numbers, which
    never get that far (their SetupIntent is declined first). count=0
    disarms it."""
    state: dict[str, Any] = {"count": 0, "code": "card_declined", "decline_code": ""}
    original = PaymentMethod._api_attach

    def attach(**data: Any) -> Any:
        if state["count"] > 0:
            state["count"] -= 1
            error = UserError(402, "Your card was declined.", {"code": state["code"]})
            error.body["error"]["type"] = "card_error"
            if state["decline_code"]:
                error.body["error"]["decline_code"] = state["decline_code"]
            raise error
        return original(**data)

    def configure(**data: Any) -> Any:
        state["count"] = int(data.get("count", 1))
        state["code"] = str(data.get("code", "card_declined"))
        state["decline_code"] = str(data.get("decline_code", ""))
        return List("/_test/decline_attach")

    _route(("POST", "/v1/payment_methods/{id}/attach"), attach)
    extra_apis.append(("POST", "/_test/decline_attach", configure))


# --- customer tax IDs -----------------------------------------------------------------

# Stripe's tax ID types the hub sends (vendors.tax_ids), with the shape of
# the example value Stripe documents for each
# (https://docs.stripe.com/billing/customer/tax-ids#supported-tax-id).
TAX_ID_FORMATS = {
    "eu_vat": r"(AT|BE|BG|HR|CY|CZ|DK|EE|FI|FR|DE|EL|HU|IE|IT|LV|LT|LU|MT|NL|PL|PT|RO|SK|SI|ES|SE)"
    r"[0-9A-Z+*]{2,13}",
    "gb_vat": r"GB\d{9}(\d{3})?",
    "ch_uid": r"CHE-\d{3}\.\d{3}\.\d{3}",
    "no_vat": r"\d{9}MVA",
    "is_vat": r"\d{5,6}",
    "au_abn": r"\d{11}",
    "nz_gst": r"\d{8,9}",
    "ca_bn": r"\d{9}",
    "in_gst": r"\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]Z[0-9A-Z]",
    "us_ein": r"\d{2}-\d{7}",
    "es_cif": r"[A-Z]\d{7}[0-9A-Z]",
}
# Types whose registers Stripe checks (VIES, HMRC, the ABR); the others'
# verification status is `unavailable`.
TAX_ID_VERIFIED_TYPES = frozenset({"eu_vat", "gb_vat", "au_abn"})


def _customer_tax_ids() -> None:
    """Stripe (https://docs.stripe.com/api/tax_ids/create): a customer takes
    a tax ID of any documented type; a value not of the type's shape is
    refused with a 400 whose code is `tax_id_invalid` ("Invalid value for
    eu_vat."); the object names its `owner` (the customer) and its
    `verification` status is `pending` while Stripe checks a register (in
    test mode: `verified`, or `unverified` / `pending` for the documented test
    values containing 111111111 / 222222222), `unavailable` for types
    without one; `country` is the issuing country (GR for an EL VAT ID).
    localstripe: only eu_vat, nz_gst, au_abn and es_cif, any value longer
    than 10 characters, a bare 400 "Bad request", no owner, and every tax ID
    `verified`."""
    import re

    def tax_id_init(self: Any, customer: Any = None, type: Any = None, value: Any = None) -> None:
        pattern = TAX_ID_FORMATS.get(type or "")
        if pattern is None:
            raise UserError(400, f"Invalid {type}: must be one of the tax ID types.",
                            {"param": "type"})  # fmt: skip
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise UserError(400, f"Invalid value for {type}.",
                            {"code": "tax_id_invalid", "param": "value"})  # fmt: skip
        Customer._api_retrieve(customer)  # 404 for an unknown customer, before storing
        StripeObject.__init__(self)
        self.customer = customer
        self.owner = {"type": "customer", "customer": customer}
        self.type = type
        self.value = value
        issuer = value[:2] if type == "eu_vat" else type[:2].upper()
        self.country = "GR" if issuer == "EL" else issuer
        status = "verified" if type in TAX_ID_VERIFIED_TYPES else "unavailable"
        if "111111111" in value:
            status = "unverified"
        elif "222222222" in value:
            status = "pending"
        self.verification = {"status": status, "verified_name": None, "verified_address": None}

    def add(id: str, type: Any = None, value: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            raise UserError(400, "Received unknown parameters: " + ", ".join(kwargs))
        customer = Customer._api_retrieve(id)
        tax_id = TaxId(customer=id, type=type, value=value)
        customer.tax_ids._list.append(tax_id)
        return tax_id

    TaxId.__init__ = tax_id_init
    _route(("POST", "/v1/customers/{id}/tax_ids"), add)


# --- taxes and discounts ----------------------------------------------------------------
#
# What Stripe charges on an invoice with tax rates and a coupon, in API
# 2026-10-28's shapes (issue 25: the demo's VAT, reverse-charge, sales-tax and
# coupon invoices are made at the fake and synced as production syncs them).
# localstripe 1.15 knows tax rates without country, state or tax type; stores
# coupons but never applies one (no invoice takes `discounts`); has no
# customer `tax_exempt`; computes an inclusive rate's tax as if it were
# exclusive and adds it to the total; and its line `tax_amounts` and invoice
# `total_tax_amounts` are the shapes 2025-03-31.basil replaced (removed above).
#
# Held: percentage rates (exclusive and inclusive), amount-off and percent-off
# coupons on the invoice (`discounts` on create), the customer's tax exemption
# frozen at finalization. Not held (refused with a 400 rather than answered
# wrongly): discounts on invoice items, i.e. line-level discounts.

# Stripe's tax types (stripe-python 16.1, TaxRate.tax_type).
TAX_TYPES = frozenset(
    {
        "admissions_tax", "amusement_tax", "attendance_tax", "communications_tax",
        "digital_excise_tax", "entertainment_tax", "get_fund", "gross_receipts_tax", "gst",
        "hospitality_tax", "hst", "igst", "jct", "lease_tax", "pst", "qst",
        "resort_tax", "retail_delivery_fee", "rst", "sales_tax", "service_tax",
        "tourism_tax", "vat",
    }
)  # fmt: skip
# https://docs.stripe.com/api/customers/object#customer_object-tax_exempt
TAX_EXEMPT = ("none", "exempt", "reverse")
# The taxability reason Stripe states for a tax on an invoice of a customer
# who is exempt, or liable themselves (reverse charge): the tax is zero
# (https://docs.stripe.com/tax/zero-tax, "Zero tax amounts and reverse
# charges": `customer_exempt`, `reverse_charge`). A tax rate charged to anyone
# else is `standard_rated` (a fixed rate the seller chose).
EXEMPT_REASONS = {"exempt": "customer_exempt", "reverse": "reverse_charge"}


class Discount(StripeObject):
    """Stripe's Discount (https://docs.stripe.com/api/discounts/object): a
    coupon applied to one invoice, named by `source.coupon`
    (2025-09-30.clover: `coupon` moved under `source`). The invoice lists it
    in `discounts`, expandable, and names it in its discount amounts."""

    object = "discount"
    _id_prefix = "di_"

    def __init__(self, *, coupon: str, customer: str, invoice: str) -> None:
        super().__init__()
        self.checkout_session = None
        self.customer = customer
        self.customer_account = None
        self.end = None
        self.invoice = invoice
        self.invoice_item = None
        self.promotion_code = None
        self.source = {"coupon": coupon, "type": "coupon"}
        self.start = self.created
        self.subscription = None
        self.subscription_item = None

    def _export(self, expand: Any = None) -> Any:
        exported = super()._export(expand=expand)
        for name in ("created", "livemode"):  # localstripe's; not fields of a Discount
            exported.pop(name, None)
        return exported


@dataclass
class _Charged:
    """An invoice's discounts and taxes, per line id and in total."""

    discount_amounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    taxes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    total_discount_amounts: list[dict[str, Any]] = field(default_factory=list)
    total_taxes: list[dict[str, Any]] = field(default_factory=list)
    discount_total: int = 0
    exclusive_tax: int = 0


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def _customer_tax(invoice: Any) -> tuple[str, list[dict[str, str]]]:
    """The customer's tax exemption and tax IDs as the invoice states them:
    the customer's own until it is finalized, then as they were then
    (Stripe's Invoice.customer_tax_exempt / customer_tax_ids: "Once the
    invoice is finalized, this field will no longer be updated")."""
    frozen = invoice.__dict__.get("_customer_tax")
    if frozen is not None:
        return frozen
    customer = store.get("customer:" + str(invoice.customer))
    if customer is None:
        return "none", []
    tax_ids = [{"type": t.type, "value": t.value} for t in customer.tax_ids._list]
    return getattr(customer, "tax_exempt", "none"), tax_ids


def _line_discounts(invoice: Any, lines: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Each line's share of the invoice's discounts. Stripe spreads an
    invoice discount over the discountable lines in proportion to their
    amounts (https://docs.stripe.com/billing/subscriptions/coupons: an
    amount-off coupon never takes more than the invoice's amount)."""
    shares: dict[str, list[dict[str, Any]]] = {line.id: [] for line in lines}
    left = {line.id: max(0, line.amount) for line in lines}
    for discount in invoice.__dict__.get("_discounts", []):
        coupon = Coupon._api_retrieve(discount.source["coupon"])
        base = sum(left.values())
        amounts: dict[str, int] = {}
        if coupon.percent_off is not None:
            percent = Decimal(str(coupon.percent_off))
            amounts = {key: _cents(Decimal(value) * percent / 100) for key, value in left.items()}
        elif base > 0:
            off = min(int(coupon.amount_off), base)
            owed = [key for key, value in left.items() if value > 0]
            given = 0
            for index, key in enumerate(owed):
                share = off - given if index == len(owed) - 1 else off * left[key] // base
                amounts[key] = share
                given += share
        for key, amount in amounts.items():
            if amount:
                shares[key].append({"amount": amount, "discount": discount.id})
                left[key] -= amount
    return shares


def _line_taxes(invoice: Any, line: Any, net: int, exempt: str) -> list[dict[str, Any]]:
    """The line's taxes (InvoiceLineItem.taxes, 2025-03-31.basil): one per
    rate, the line's own rates else the invoice's default ones, on the
    line's amount after discounts. An inclusive rate's tax is inside that
    amount (https://support.stripe.com/questions/inclusive-and-exclusive-tax-
    options-in-the-tax-rate-api-and-stripe-tax: "if the price is €600 and you
    set an inclusive tax rate of 10%, the invoice total will still be €600")."""
    rates = line.tax_rates or invoice.default_tax_rates or []
    taxes = []
    for rate in rates:
        percent = Decimal(str(rate.percentage))
        if exempt in EXEMPT_REASONS:
            amount, taxable = 0, net
        elif rate.inclusive:
            amount = _cents(Decimal(net) * percent / (100 + percent))
            taxable = net - amount
        else:
            amount, taxable = _cents(Decimal(net) * percent / 100), net
        taxes.append(
            {
                "amount": amount,
                "tax_behavior": "inclusive" if rate.inclusive else "exclusive",
                "tax_rate_details": {"tax_rate": rate.id},
                "taxability_reason": EXEMPT_REASONS.get(exempt, "standard_rated"),
                "taxable_amount": taxable,
                "type": "tax_rate_details",
            }
        )
    return taxes


def _charges(invoice: Any) -> _Charged:
    lines = list(invoice.lines._list)
    exempt, _ = _customer_tax(invoice)
    charged = _Charged(discount_amounts=_line_discounts(invoice, lines))
    discount_totals: dict[str, int] = {}
    tax_totals: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in lines:
        shares = charged.discount_amounts[line.id]
        for share in shares:
            discount_totals[share["discount"]] = (
                discount_totals.get(share["discount"], 0) + share["amount"]
            )
        net = line.amount - sum(share["amount"] for share in shares)
        taxes = _line_taxes(invoice, line, net, exempt)
        charged.taxes[line.id] = taxes
        for tax in taxes:
            # Invoice.total_taxes: "The aggregate tax information of all line
            # items", one entry per rate, behaviour and reason.
            key = (
                tax["tax_rate_details"]["tax_rate"],
                tax["tax_behavior"],
                tax["taxability_reason"],
            )
            total = tax_totals.setdefault(key, {**tax, "amount": 0, "taxable_amount": 0})
            total["amount"] += tax["amount"]
            total["taxable_amount"] += tax["taxable_amount"]
            if tax["tax_behavior"] == "exclusive":
                charged.exclusive_tax += tax["amount"]
    charged.total_discount_amounts = [
        {"amount": amount, "discount": key} for key, amount in discount_totals.items()
    ]
    charged.discount_total = sum(discount_totals.values())
    charged.total_taxes = list(tax_totals.values())
    return charged


def _charged_shapes(invoice: Any, exported: dict[str, Any], *, expand_discounts: bool) -> None:
    """Put the invoice's discounts and taxes into its exported shape."""
    charged = _charges(invoice)
    discounts = invoice.__dict__.get("_discounts", [])
    # 2025-03-31.basil, "discounts (a list) replaces discount"; ids unless expanded.
    exported["discounts"] = [d._export() if expand_discounts else d.id for d in discounts]
    exported["total_discount_amounts"] = charged.total_discount_amounts
    exported["total_taxes"] = charged.total_taxes
    exempt, tax_ids = _customer_tax(invoice)
    exported["customer_tax_exempt"] = exempt
    exported["customer_tax_ids"] = tax_ids
    for line in (exported.get("lines") or {}).get("data") or []:
        _line_shapes(line, charged)


def _line_shapes(line: dict[str, Any], charged: _Charged) -> None:
    # The fake holds invoice discounts only: a line's own `discounts` are none.
    line["discounts"] = []
    line["discount_amounts"] = charged.discount_amounts.get(line["id"], [])
    line["taxes"] = charged.taxes.get(line["id"], [])


def _taxes_and_discounts() -> None:
    _tax_rate_fields()
    _coupon_name()
    _customer_tax_exempt()
    _invoice_create()
    _invoice_finalize()
    _invoice_item_period()
    _charge_payment_method_details()

    original_line_export = InvoiceLineItem._export

    def line_export(self: Any, expand: Any = None) -> Any:
        # A line read on its own (GET /v1/invoices/{id}/lines) states what
        # its invoice charged on it, as within the invoice.
        exported = original_line_export(self, expand=expand)
        exported["parent"] = _line_parent(self)
        invoice = store.get("invoice:" + str(self.invoice))
        if invoice is not None:
            _line_shapes(exported, _charges(invoice))
        return exported

    InvoiceLineItem._export = line_export

    def total(self: Any) -> int:
        """Stripe: the total is the subtotal less discounts plus exclusive
        taxes (an inclusive tax is inside the amounts already)."""
        charged = _charges(self)
        return max(
            0,
            self.subtotal - charged.discount_total + charged.exclusive_tax - self.starting_balance,
        )

    Invoice.total = property(total)  # type: ignore[assignment,method-assign]

    def get_draft(self: Any) -> bool:
        return bool(self.__dict__.get("_draft_flag", True))

    def set_draft(self: Any, value: bool) -> None:
        # Finalized (by /finalize, or by /pay, which localstripe lets finalize
        # by clearing `_draft`): the customer's tax details are frozen.
        if not value and self.__dict__.get("_draft_flag") and "_customer_tax" not in self.__dict__:
            self.__dict__["_customer_tax"] = _customer_tax(self)
        self.__dict__["_draft_flag"] = value

    Invoice._draft = property(get_draft, set_draft)  # type: ignore[assignment]


def _tax_rate_fields() -> None:
    """Stripe (https://docs.stripe.com/api/tax_rates/create): a tax rate takes
    `country`, `state` (ISO 3166-2 without the country, "TX") and `tax_type`
    ("vat", "sales_tax", ...) beside `jurisdiction`, all null when not given.
    localstripe: none of the three (a 400)."""
    original_init = TaxRate.__init__

    def __init__(
        self: Any, *args: Any, country: Any = None, state: Any = None, tax_type: Any = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        if any(v is not None and not isinstance(v, str) for v in (country, state, tax_type)):
            raise UserError(400, "Bad request")
        if tax_type is not None and tax_type not in TAX_TYPES:
            raise UserError(400, f"Invalid tax_type: {tax_type}", {"param": "tax_type"})
        original_init(self, *args, **kwargs)
        self.country = country or None
        self.state = state or None
        self.tax_type = tax_type or None

    TaxRate.__init__ = __init__


def _coupon_name() -> None:
    """Stripe (https://docs.stripe.com/api/coupons/object#coupon_object-name):
    a coupon's `name` is what invoices and receipts show the customer (null
    when not given). localstripe: no name (a 400)."""
    original_init = Coupon.__init__

    def __init__(self: Any, *args: Any, name: Any = None, **kwargs: Any) -> None:
        if name is not None and (not isinstance(name, str) or len(name) > 40):
            raise UserError(400, "Invalid name", {"param": "name"})
        original_init(self, *args, **kwargs)
        self.name = name or None

    Coupon.__init__ = __init__


def _customer_tax_exempt() -> None:
    """Stripe: a customer's `tax_exempt` is `none` (the default), `exempt` or
    `reverse`, settable on create and update
    (https://docs.stripe.com/api/customers/object#customer_object-tax_exempt).
    localstripe: no such field (a 400)."""
    original_init = Customer.__init__
    original_update = Customer._update

    def checked(value: Any) -> str:
        if value == "":
            return "none"
        if value not in TAX_EXEMPT:
            raise UserError(400, f"Invalid tax_exempt: {value}", {"param": "tax_exempt"})
        return str(value)

    def __init__(self: Any, *args: Any, tax_exempt: Any = None, **kwargs: Any) -> None:
        exempt = checked(tax_exempt) if tax_exempt is not None else "none"
        original_init(self, *args, **kwargs)
        self.tax_exempt = exempt

    def _update(self: Any, tax_exempt: Any = None, **data: Any) -> None:
        if tax_exempt is not None:
            self.tax_exempt = checked(tax_exempt)
        if data:
            original_update(self, **data)

    Customer.__init__ = __init__
    Customer._update = _update


def _invoice_create() -> None:
    """Stripe (https://docs.stripe.com/api/invoices/create): an invoice takes
    `discounts` ([{coupon}]), each applied as a Discount of that invoice (the
    coupon's `times_redeemed` counts it); and an invoice needs no
    subscription: a one-off invoice bills the customer's pending invoice
    items when `pending_invoice_items_behavior` is `include` (since
    2022-08-01 the default is `exclude`). localstripe: `discounts` is a 400,
    no coupon ever applies, and an invoice without a subscription is a 404
    ("No upcoming invoices for customer"). Not held: `exclude` while the
    customer has pending items (localstripe's invoices always take them in),
    refused rather than answered wrongly."""
    original = Invoice._api_create.__func__

    def _api_create(cls: Any, discounts: Any = None, **data: Any) -> Any:
        coupons = []
        if discounts not in (None, ""):
            if not isinstance(discounts, list) or not all(
                isinstance(d, dict) and set(d) == {"coupon"} for d in discounts
            ):
                raise UserError(400, "Bad request", {"param": "discounts"})
            coupons = [Coupon._api_retrieve(str(d["coupon"])) for d in discounts]  # 404
        if data.get("subscription") is None:
            invoice = _one_off_invoice(**data)
        else:
            invoice = original(cls, **data)
        invoice.__dict__["_discounts"] = [
            Discount(coupon=coupon.id, customer=invoice.customer, invoice=invoice.id)
            for coupon in coupons
        ]
        for coupon in coupons:
            coupon.times_redeemed += 1
        return invoice

    Invoice._api_create = classmethod(_api_create)


def _one_off_invoice(
    customer: Any = None, pending_invoice_items_behavior: Any = None, **data: Any
) -> Any:
    if pending_invoice_items_behavior not in (None, "include", "exclude"):
        raise UserError(400, "Bad request", {"param": "pending_invoice_items_behavior"})
    if not isinstance(customer, str):
        raise UserError(400, "Bad request", {"param": "customer"})
    pending = [
        item
        for item in InvoiceItem._api_list_all(None, customer=customer, limit=99)._list
        if item.invoice is None
    ]
    if pending and pending_invoice_items_behavior != "include":
        raise UserError(400, "localstripe (patched) takes a customer's pending invoice items "
                        "in only with pending_invoice_items_behavior=include",
                        {"param": "pending_invoice_items_behavior"})  # fmt: skip
    allowed = {"default_tax_rates", "description", "metadata", "tax_percent"}
    if set(data) - allowed:
        raise UserError(400, "Unexpected " + ", ".join(sorted(set(data) - allowed)))
    return Invoice(customer=customer, **data)


def _invoice_finalize() -> None:
    """Stripe (https://docs.stripe.com/api/invoices/finalize): POST
    /v1/invoices/{id}/finalize makes a draft `open` (and sends
    `invoice.finalized`); anything but a draft is a 400. localstripe: no
    such route (its /pay finalizes a draft on the way)."""

    def finalize(id: str, auto_advance: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        invoice = Invoice._api_retrieve(id)
        if invoice.status != "draft":
            raise UserError(400, "This invoice is already finalized, you can't re-finalize "
                            "a non-draft invoice.", {"code": "invoice_not_editable"})  # fmt: skip
        invoice._finalize()
        schedule_webhook(Event("invoice.finalized", invoice))
        return invoice

    extra_apis.append(("POST", "/v1/invoices/{id}/finalize", finalize))


def _invoice_item_period() -> None:
    """Stripe (https://docs.stripe.com/api/invoiceitems/create): an invoice
    item's service period is `period[start]` / `period[end]`. localstripe
    takes `period_start` / `period_end` instead, and a `period` is a 400.
    `discounts` on an invoice item (a line-level discount) is not held by
    this fake: refused, rather than silently ignored."""
    original_init = InvoiceItem.__init__

    def __init__(
        self: Any, *args: Any, period: Any = None, discounts: Any = None, **kwargs: Any
    ) -> None:
        if discounts not in (None, "", []):
            raise UserError(400, "localstripe (patched) holds invoice discounts only",
                            {"param": "discounts"})  # fmt: skip
        if period is not None:
            if not isinstance(period, dict) or set(period) != {"start", "end"}:
                raise UserError(400, "Bad request", {"param": "period"})
            kwargs |= {"period_start": period["start"], "period_end": period["end"]}
        original_init(self, *args, **kwargs)

    InvoiceItem.__init__ = __init__


def _charge_payment_method_details() -> None:
    """Stripe (https://docs.stripe.com/api/charges/object#charge_object-
    payment_method_details): a charge states the card it was made with, as
    it was then: `payment_method_details.card` (brand, last4, expiry), type
    `card`. localstripe: no such field (a one-time invoice's card was
    unknown to the hub)."""
    original = Charge._export

    def _export(self: Any, expand: Any = None) -> Any:
        exported = original(self, expand=expand)
        method = store.get("payment_method:" + str(self.payment_method))
        card = getattr(method, "card", None)
        if isinstance(card, dict):
            exported["payment_method_details"] = {
                "type": "card",
                "card": {k: card.get(k) for k in ("brand", "last4", "exp_month", "exp_year")},
            }
        return exported

    Charge._export = _export


def _line_parent(line: Any) -> dict[str, Any]:
    """Stripe (2025-03-31.basil, "invoice line items' parent"): what a line
    bills is under `parent`: an invoice item (`invoice_item_details`) or a
    subscription item (`subscription_item_details`), with its proration."""
    details: dict[str, Any] = {
        "proration": bool(line.proration),
        "proration_details": {"credited_items": None},
        "subscription": line.subscription,
    }
    if line.type == "invoiceitem":
        return {
            "type": "invoice_item_details",
            "invoice_item_details": {**details, "invoice_item": line.invoice_item},
            "subscription_item_details": None,
        }
    return {
        "type": "subscription_item_details",
        "invoice_item_details": None,
        "subscription_item_details": {
            **details,
            "invoice_item": None,
            "subscription_item": line.subscription_item,
        },
    }
