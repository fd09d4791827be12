"""Stripe, through the official SDK (`stripe` 16, API 2026-10-28).

One `StripeClient` per adapter, that is per vendor key: keys never travel
through module globals, so two vendors' calls in one process cannot mix.
Every write carries the caller's idempotency key, so a retried request (by
the SDK, a task or a double click) does the thing once.

The adapter reads both today's response shapes and the older ones the fake
Stripe used in tests and the demo (localstripe) returns: responses are turned
into plain dicts at once (SDK 16 objects are not dicts) and every field is
read as "may be missing". Amounts cross only through `billing.money`.

Nothing Stripe-specific leaves this module: results are our dataclasses and
every failure is a `ProcessorError` (see `_error`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings

from billing.money import from_minor_units, to_minor_units

from .base import (
    MESSAGE_NOT_CONNECTED,
    MESSAGE_NOT_FOUND,
    MESSAGE_REFUSED,
    MESSAGE_UNAVAILABLE,
    Adapter,
    Address,
    CardSummary,
    ConnectionReport,
    InvoiceLine,
    Page,
    ProcessorCharge,
    ProcessorCustomer,
    ProcessorError,
    ProcessorEvent,
    ProcessorInvoice,
    ProcessorRefund,
    ProcessorSetupIntent,
    ProcessorSubscription,
    WebhookEndpoint,
    WebhookSignatureError,
)

if TYPE_CHECKING:
    from stripe.params import (
        ChargeListParams,
        CustomerCreateParams,
        CustomerListParams,
        CustomerUpdateParams,
        InvoiceListParams,
        InvoicePayParams,
        SubscriptionCancelParams,
        SubscriptionCreateParams,
        SubscriptionListParams,
        SubscriptionUpdateParams,
    )

logger = logging.getLogger(__name__)

# Seconds to open a connection / to wait for an answer. A customer is waiting
# on the other side of most calls: better a quick "try again" than a hung page.
TIMEOUT = (5.0, 10.0)

# What a subscription read expands: the product's name and the card that will
# be charged (the subscription's own default, else the customer's) come in the
# same round trip. `items.data.plan.product` (not `price`) because it exists
# both at Stripe and in localstripe, whose items have no `price`.
SUBSCRIPTION_EXPAND = [
    "default_payment_method",
    "customer.invoice_settings.default_payment_method",
    "items.data.plan.product",
]

STATUSES = {
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "paused": "paused",
    "canceled": "canceled",
    "incomplete": "incomplete",
    "incomplete_expired": "canceled",
}

# Card error codes that mean "the bank wants the customer to authenticate"
# (3-D Secure) rather than "the card was refused".
AUTHENTICATION_CODES = {
    "authentication_required",
    "card_authentication_required",
    "invoice_payment_intent_requires_action",
    "payment_intent_authentication_failure",
    "setup_intent_authentication_failure",
}


class StripeAdapter(Adapter):
    """The hub's operations on one vendor's Stripe account."""

    processor = "stripe"

    def __init__(self, secret_key: str) -> None:
        base = getattr(settings, "STRIPE_API_BASE", "")
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": base} if base else None,
            max_network_retries=getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 2),
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )

    def __repr__(self) -> str:
        # Never the key, even in a traceback's locals.
        return "<StripeAdapter>"

    # --- webhooks -------------------------------------------------------------

    @staticmethod
    def webhook_event_construct(
        *, payload: bytes, signature_header: str, secrets: list[str], tolerance: int = 300
    ) -> ProcessorEvent:
        """The event in `payload`, if its `Stripe-Signature` was made with one
        of `secrets` (the current one and, while a vendor rolls it, the
        previous one) less than `tolerance` seconds ago; else
        WebhookSignatureError.

        The SDK compares signatures in constant time and checks the timestamp,
        which is what stops a captured delivery from being replayed later.
        Needs no API key: it is a static method.
        """
        if not signature_header:
            raise WebhookSignatureError("missing signature")
        reason = "no webhook secret"
        for secret in (s for s in secrets if s):
            try:
                event = stripe.Webhook.construct_event(
                    payload, signature_header, secret, tolerance=tolerance
                )
            except stripe.SignatureVerificationError as exc:
                reason = "stale timestamp" if "tolerance" in str(exc) else "bad signature"
                continue
            except ValueError as exc:  # not JSON
                raise WebhookSignatureError("invalid payload") from exc
            return _event(_plain(event))
        raise WebhookSignatureError(reason)

    def refund_create(
        self, *, charge_id: str, amount: Decimal | None = None, idempotency_key: str
    ) -> ProcessorRefund:
        """Refund a charge, in full (`amount` None) or in part."""
        with _translated():
            charge = _plain(self._client.v1.charges.retrieve(charge_id))
            currency = str(charge.get("currency") or "").upper()
            params: dict[str, Any] = {"charge": charge_id}
            if amount is not None:
                params["amount"] = to_minor_units(amount, currency)
            refund = self._client.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        return _refund(_plain(refund), currency)

    # --- the connection itself ------------------------------------------------

    def connection_check(self) -> ConnectionReport:
        """Does the secret key work, is it live, and which webhook endpoints
        does the account have? Reads only: the balance (which any working
        secret key may read) and the webhook endpoints."""
        try:
            with _translated():
                balance = _plain(self._client.v1.balance.retrieve())
        except ProcessorError as error:
            return ConnectionReport(ok=False, problem=error.message, code=error.code)
        livemode = bool(balance.get("livemode", False))
        try:
            with _translated():
                listed = _plain(self._client.v1.webhook_endpoints.list(params={"limit": 100}))
        except ProcessorError:
            # A restricted key may not read endpoints: the key still works.
            return ConnectionReport(ok=True, livemode=livemode, webhook_endpoints=None)
        endpoints = [
            WebhookEndpoint(
                id=str(item.get("id") or ""),
                url=str(item.get("url") or ""),
                events=[str(e) for e in item.get("enabled_events") or []],
                enabled=item.get("status", "enabled") == "enabled",
            )
            for item in listed.get("data") or []
        ]
        return ConnectionReport(ok=True, livemode=livemode, webhook_endpoints=endpoints)

    # --- customers ----------------------------------------------------------

    def customer_create(
        self, *, email: str, name: str = "", address: Address | None = None, idempotency_key: str
    ) -> ProcessorCustomer:
        params: CustomerCreateParams = {"email": email}
        if name:
            # Stripe reads an empty string as "unset", which create refuses.
            params["name"] = name
        if address is not None and _address_filled(address):
            params["address"] = {
                "line1": address.line1,
                "line2": address.line2,
                "city": address.city,
                "postal_code": address.postal_code,
                "state": address.state,
                "country": address.country,
            }
        with _translated():
            created = self._client.v1.customers.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return _customer(_plain(created))

    def customer_get(self, *, customer_id: str) -> ProcessorCustomer:
        with _translated():
            return _customer(_plain(self._client.v1.customers.retrieve(customer_id)))

    def customer_update(
        self,
        *,
        customer_id: str,
        name: str,
        email: str,
        address: Address | None,
        idempotency_key: str,
    ) -> ProcessorCustomer:
        """Push our details; `address=None` leaves Stripe's as it is, an
        Address with every field empty removes it."""
        params: CustomerUpdateParams = {"name": name, "email": email}
        if address is not None:
            params["address"] = (
                {
                    "line1": address.line1,
                    "line2": address.line2,
                    "city": address.city,
                    "postal_code": address.postal_code,
                    "state": address.state,
                    "country": address.country,
                }
                if _address_filled(address)
                else ""
            )
        with _translated():
            updated = self._client.v1.customers.update(
                customer_id, params=params, options={"idempotency_key": idempotency_key}
            )
        return _customer(_plain(updated))

    def customer_list(self, *, cursor: str = "", limit: int = 100) -> Page:
        with _translated():
            params: CustomerListParams = {"limit": _limit(limit)}
            if cursor:
                params["starting_after"] = cursor
            result = self._client.v1.customers.list(params=params)
        return _page(_plain(result), _customer)

    # --- cards ----------------------------------------------------------------

    def payment_method_attach_default(
        self, *, customer_id: str, payment_method_id: str, idempotency_key: str
    ) -> CardSummary:
        """Attach a payment method (a test one such as "pm_card_visa" makes a
        new card) to the customer and make it their default for invoices."""
        with _translated():
            attached = _plain(
                self._client.v1.payment_methods.attach(
                    payment_method_id,
                    params={"customer": customer_id},
                    options={"idempotency_key": f"{idempotency_key}-attach"},
                )
            )
            self._client.v1.customers.update(
                customer_id,
                params={"invoice_settings": {"default_payment_method": attached["id"]}},
                options={"idempotency_key": f"{idempotency_key}-default"},
            )
        return _card(attached)

    def payment_method_card(self, *, payment_method_id: str) -> CardSummary:
        with _translated():
            method = self._client.v1.payment_methods.retrieve(payment_method_id)
        return _card(_plain(method))

    def default_payment_method_set(
        self,
        *,
        customer_id: str,
        subscription_id: str,
        payment_method_id: str,
        idempotency_key: str,
    ) -> CardSummary:
        """Make the card the subscription's and the customer's default.

        The card must be the customer's: one attached to another customer is
        refused (a SetupIntent id from elsewhere must not move a stranger's
        card onto this subscription); an unattached one is attached first.
        """
        with _translated():
            method = _plain(self._client.v1.payment_methods.retrieve(payment_method_id))
            owner = _id(method.get("customer"))
            if owner and owner != customer_id:
                raise ProcessorError(
                    MESSAGE_REFUSED, code="refused", detail="payment method of another customer"
                )
            if not owner:
                method = _plain(
                    self._client.v1.payment_methods.attach(
                        payment_method_id,
                        params={"customer": customer_id},
                        options={"idempotency_key": f"{idempotency_key}-attach"},
                    )
                )
            # The id Stripe answered with: a test id such as "pm_card_visa"
            # makes a new payment method each time it is used.
            method_id = str(method["id"])
            if subscription_id:
                self._client.v1.subscriptions.update(
                    subscription_id,
                    params={"default_payment_method": method_id},
                    options={"idempotency_key": f"{idempotency_key}-subscription"},
                )
            self._client.v1.customers.update(
                customer_id,
                params={"invoice_settings": {"default_payment_method": method_id}},
                options={"idempotency_key": f"{idempotency_key}-customer"},
            )
        return _card(method)

    def setup_intent_create(
        self, *, customer_id: str, idempotency_key: str
    ) -> ProcessorSetupIntent:
        """A SetupIntent for a card used later without the customer present.
        No `payment_method_types`: API 2026-10-28 refuses it."""
        with _translated():
            intent = self._client.v1.setup_intents.create(
                params={"customer": customer_id, "usage": "off_session"},
                options={"idempotency_key": idempotency_key},
            )
        return _setup_intent(_plain(intent))

    def setup_intent_get(self, *, setup_intent_id: str) -> ProcessorSetupIntent:
        with _translated():
            return _setup_intent(_plain(self._client.v1.setup_intents.retrieve(setup_intent_id)))

    # --- plans and subscriptions ---------------------------------------------

    def price_create(
        self,
        *,
        product_name: str,
        amount: Decimal,
        currency: str,
        interval: str = "month",
        interval_count: int = 1,
        idempotency_key: str,
    ) -> str:
        """A recurring price, as a legacy Plan with its product made inline.

        Plans rather than Prices on purpose: Stripe still accepts plans (and
        `items[plan]` on subscriptions, which SDK 16 still types), while
        localstripe has no /v1/prices and fails on `items[price]`. One code
        path then works against both; the id is usable as a price id.
        """
        try:
            minor = to_minor_units(amount, currency)
        except ValueError as exc:
            raise ProcessorError(MESSAGE_REFUSED, code="invalid", detail=str(exc)) from exc
        with _translated():
            plan = self._client.v1.plans.create(
                params={
                    "amount": minor,
                    "currency": currency.lower(),
                    "interval": interval,
                    "interval_count": interval_count,
                    "nickname": product_name,
                    "product": {"name": product_name},
                },
                options={"idempotency_key": idempotency_key},
            )
        return str(plan.id)

    def subscription_create(
        self,
        *,
        customer_id: str,
        price_id: str,
        trial_end: datetime | None = None,
        idempotency_key: str,
    ) -> ProcessorSubscription:
        """Start a subscription charged to the customer's default card."""
        params: SubscriptionCreateParams = {
            "customer": customer_id,
            "items": [{"plan": price_id}],
            "expand": SUBSCRIPTION_EXPAND,
        }
        if trial_end is not None:
            params["trial_end"] = int(trial_end.timestamp())
        with _translated():
            created = self._client.v1.subscriptions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return _subscription(_plain(created))

    def subscription_get(self, *, subscription_id: str) -> ProcessorSubscription:
        with _translated():
            found = self._client.v1.subscriptions.retrieve(
                subscription_id, params={"expand": SUBSCRIPTION_EXPAND}
            )
        return _subscription(_plain(found))

    def subscription_list(
        self, *, customer_id: str = "", cursor: str = "", limit: int = 100
    ) -> Page:
        # Lists cannot reach the product (five levels deep, Stripe's limit is
        # four): list items name it by the plan's nickname, or its product id.
        params: SubscriptionListParams = {
            "limit": _limit(limit),
            "status": "all",
            "expand": [
                "data.default_payment_method",
                "data.customer.invoice_settings.default_payment_method",
            ],
        }
        if cursor:
            params["starting_after"] = cursor
        if customer_id:
            params["customer"] = customer_id
        with _translated():
            result = self._client.v1.subscriptions.list(params=params)
        return _page(_plain(result), _subscription)

    def subscription_cancel(
        self, *, subscription_id: str, at_period_end: bool, reason: str = "", idempotency_key: str
    ) -> ProcessorSubscription:
        """Cancel now (Stripe ends it at once, no proration or refund), or
        at the end of the paid period. The customer's words go to Stripe as
        the cancellation comment, which the vendor sees in their dashboard."""
        with _translated():
            if at_period_end:
                update: SubscriptionUpdateParams = {
                    "cancel_at_period_end": True,
                    "expand": SUBSCRIPTION_EXPAND,
                }
                if reason:
                    update["cancellation_details"] = {"comment": reason[:500]}
                result = self._client.v1.subscriptions.update(
                    subscription_id, params=update, options={"idempotency_key": idempotency_key}
                )
            else:
                cancel: SubscriptionCancelParams = {"expand": SUBSCRIPTION_EXPAND}
                if reason:
                    cancel["cancellation_details"] = {"comment": reason[:500]}
                result = self._client.v1.subscriptions.cancel(
                    subscription_id, params=cancel, options={"idempotency_key": idempotency_key}
                )
        return _subscription(_plain(result))

    def subscription_cancel_undo(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        with _translated():
            result = self._client.v1.subscriptions.update(
                subscription_id,
                params={"cancel_at_period_end": False, "expand": SUBSCRIPTION_EXPAND},
                options={"idempotency_key": idempotency_key},
            )
        return _subscription(_plain(result))

    def subscription_finalize_period_end(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        """Stripe ends a subscription at its period end by itself: read it."""
        return self.subscription_get(subscription_id=subscription_id)

    # --- invoices and charges -------------------------------------------------

    def invoice_get(self, *, invoice_id: str) -> ProcessorInvoice:
        with _translated():
            return _invoice(_plain(self._client.v1.invoices.retrieve(invoice_id)))

    def invoice_list(
        self,
        *,
        customer_id: str = "",
        subscription_id: str = "",
        cursor: str = "",
        limit: int = 100,
    ) -> Page:
        params: InvoiceListParams = {"limit": _limit(limit)}
        if cursor:
            params["starting_after"] = cursor
        if customer_id:
            params["customer"] = customer_id
        if subscription_id:
            params["subscription"] = subscription_id
        with _translated():
            result = self._client.v1.invoices.list(params=params)
        return _page(_plain(result), _invoice)

    def invoice_open_for_subscription(self, *, subscription_id: str) -> ProcessorInvoice | None:
        """The subscription's newest unpaid (open) invoice, if any."""
        with _translated():
            result = self._client.v1.invoices.list(
                params={"subscription": subscription_id, "status": "open", "limit": 1}
            )
        page = _page(_plain(result), _invoice)
        return page.items[0] if page.items else None

    def invoice_pay(
        self, *, invoice_id: str, payment_method_id: str, idempotency_key: str
    ) -> ProcessorInvoice:
        """Try an open invoice again now, with `payment_method_id` (or the
        default card when empty). A refused card is a ProcessorError."""
        params: InvoicePayParams = {}
        if payment_method_id:
            params["payment_method"] = payment_method_id
        with _translated():
            paid = self._client.v1.invoices.pay(
                invoice_id, params=params, options={"idempotency_key": idempotency_key}
            )
        return _invoice(_plain(paid))

    def charge_get(self, *, charge_id: str) -> ProcessorCharge:
        with _translated():
            found = self._client.v1.charges.retrieve(charge_id, params={"expand": ["refunds"]})
        return _charge(_plain(found))

    def charge_list(self, *, customer_id: str = "", cursor: str = "", limit: int = 100) -> Page:
        params: ChargeListParams = {"limit": _limit(limit)}
        if cursor:
            params["starting_after"] = cursor
        if customer_id:
            params["customer"] = customer_id
        with _translated():
            result = self._client.v1.charges.list(params=params)
        return _page(_plain(result), _charge)


# --- errors ---------------------------------------------------------------------


@contextmanager
def _translated() -> Iterator[None]:
    """Turn whatever the SDK raises into one ProcessorError."""
    try:
        yield
    except stripe.StripeError as exc:
        error = _error(exc)
        # "Not found" is an answer callers expect and handle (a lookup before
        # creating); everything else deserves an operator's attention.
        level = logging.INFO if error.code == "not_found" else logging.WARNING
        logger.log(level, "Stripe call failed: %s (%s)", error.code, error.detail)
        raise error from None


def _error(exc: stripe.StripeError) -> ProcessorError:
    """The ProcessorError for an SDK exception.

    A card error's message is Stripe's own, written for the cardholder
    ("Your card was declined."); every other case gets one of our plain
    messages, since Stripe's texts there are for developers and may name ids
    or parameters. `detail` keeps what the logs need, never the key (the SDK
    never puts it in an error's code, type or request id).
    """
    body = getattr(exc, "error", None)
    stripe_code = str(getattr(exc, "code", "") or "")
    decline_code = str(getattr(body, "decline_code", "") or "") if body is not None else ""
    error_type = str(getattr(body, "type", "") or "") if body is not None else ""
    detail = " ".join(
        part
        for part in (
            f"type={error_type or type(exc).__name__}",
            f"code={stripe_code}" if stripe_code else "",
            f"decline_code={decline_code}" if decline_code else "",
            f"status={exc.http_status}" if exc.http_status else "",
            f"request_id={exc.request_id}" if exc.request_id else "",
        )
        if part
    )
    if isinstance(exc, stripe.CardError):
        authentication = {stripe_code, decline_code} & AUTHENTICATION_CODES
        return ProcessorError(
            exc.user_message or MESSAGE_REFUSED,
            code="authentication_required" if authentication else "card_declined",
            detail=detail,
        )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected", detail=detail)
    if isinstance(exc, stripe.RateLimitError):
        return ProcessorError(
            MESSAGE_UNAVAILABLE, retryable=True, code="unavailable", detail=detail
        )
    if isinstance(exc, stripe.APIConnectionError):
        return ProcessorError(MESSAGE_UNAVAILABLE, retryable=True, code="network", detail=detail)
    if isinstance(exc, stripe.InvalidRequestError) and (
        exc.http_status == 404 or stripe_code == "resource_missing"
    ):
        return ProcessorError(MESSAGE_NOT_FOUND, code="not_found", detail=detail)
    if isinstance(exc, stripe.InvalidRequestError | stripe.IdempotencyError):
        return ProcessorError(MESSAGE_REFUSED, code="refused", detail=detail)
    if isinstance(exc, stripe.APIError) or (exc.http_status or 0) >= 500:
        return ProcessorError(
            MESSAGE_UNAVAILABLE, retryable=True, code="unavailable", detail=detail
        )
    return ProcessorError(MESSAGE_REFUSED, code="refused", detail=detail)


# --- reading Stripe's objects ---------------------------------------------------


def _plain(obj: Any) -> dict[str, Any]:
    """An SDK object as a plain dict (SDK 16 objects are not dicts)."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()


def _id(value: Any) -> str:
    """The id of a field that is an id, an expanded object, or empty."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _money(value: Any, currency: str) -> Decimal:
    return from_minor_units(int(value or 0), currency)


def _limit(limit: int) -> int:
    """Stripe pages hold 1 to 100 objects."""
    return max(1, min(int(limit), 100))


def _page(result: dict[str, Any], build: Any) -> Page:
    data = result.get("data") or []
    items = [build(item) for item in data]
    more = bool(result.get("has_more")) and bool(data)
    return Page(items=items, next_cursor=str(data[-1]["id"]) if more else "")


def _address_filled(address: Address) -> bool:
    return any(vars(address).values())


def _customer(data: dict[str, Any]) -> ProcessorCustomer:
    raw = data.get("address")
    address = None
    if isinstance(raw, dict) and any(raw.values()):
        address = Address(
            line1=raw.get("line1") or "",
            line2=raw.get("line2") or "",
            city=raw.get("city") or "",
            postal_code=raw.get("postal_code") or "",
            state=raw.get("state") or "",
            country=raw.get("country") or "",
        )
    invoice_settings = data.get("invoice_settings") or {}
    return ProcessorCustomer(
        id=data["id"],
        email=data.get("email") or "",
        name=data.get("name") or "",
        address=address,
        default_payment_method_id=_id(invoice_settings.get("default_payment_method")),
        livemode=bool(data.get("livemode")),
        created=_time(data.get("created")),
    )


def _card(method: dict[str, Any]) -> CardSummary:
    """The brand, last four and expiry of a PaymentMethod (or a legacy Card)."""
    card = method.get("card") if method.get("object") != "card" else method
    card = card if isinstance(card, dict) else {}
    return CardSummary(
        brand=str(card.get("brand") or "").lower(),
        last4=str(card.get("last4") or ""),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
        payment_method_id=str(method.get("id") or ""),
    )


def _setup_intent(data: dict[str, Any]) -> ProcessorSetupIntent:
    error = data.get("last_setup_error") or {}
    return ProcessorSetupIntent(
        id=data["id"],
        client_secret=data.get("client_secret") or "",
        status=data.get("status") or "",
        customer_id=_id(data.get("customer")),
        payment_method_id=_id(data.get("payment_method")),
        error_message=str(error.get("message") or "") if isinstance(error, dict) else "",
    )


def _subscription(data: dict[str, Any]) -> ProcessorSubscription:
    items = (data.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    plan = item.get("plan") or data.get("plan") or {}
    price = item.get("price") or {}
    product = price.get("product") or plan.get("product")
    currency = str(price.get("currency") or plan.get("currency") or "").upper()
    recurring = price.get("recurring") or {}
    unit = price.get("unit_amount") if price else plan.get("amount")
    quantity = item.get("quantity") or data.get("quantity") or 1
    status = STATUSES.get(str(data.get("status")), "incomplete")
    # Today's API keeps the billing period on the items; older versions (and
    # localstripe) on the subscription.
    period_end = _time(item.get("current_period_end") or data.get("current_period_end"))
    trial_end = _time(data.get("trial_end"))
    cancel_at_period_end = bool(data.get("cancel_at_period_end"))
    cancel_at = _time(data.get("cancel_at"))
    next_payment = trial_end if status == "trialing" and trial_end else period_end
    if (
        status == "canceled"
        or cancel_at_period_end
        or (cancel_at and next_payment and cancel_at <= next_payment)
    ):
        next_payment = None
    # The card Stripe charges: the subscription's default, else the customer's.
    customer = data.get("customer")
    method = data.get("default_payment_method")
    if not method and isinstance(customer, dict):
        method = (customer.get("invoice_settings") or {}).get("default_payment_method")
    return ProcessorSubscription(
        id=data["id"],
        customer_id=_id(customer),
        status=status,
        product=(
            str(product.get("name") or "")
            if isinstance(product, dict)
            else str(plan.get("nickname") or product or "")
        ),
        price_id=_id(price) or _id(plan),
        amount=_money(unit * quantity, currency) if unit is not None and currency else None,
        currency=currency,
        interval=str(recurring.get("interval") or plan.get("interval") or "month"),
        interval_count=int(recurring.get("interval_count") or plan.get("interval_count") or 1),
        trial_end=trial_end,
        current_period_end=period_end,
        next_payment_at=next_payment,
        cancel_at_period_end=cancel_at_period_end,
        canceled_at=_time(data.get("canceled_at")),
        default_payment_method_id=_id(method),
        card=_card(method) if isinstance(method, dict) else None,
        latest_invoice_id=_id(data.get("latest_invoice")),
        livemode=bool(data.get("livemode")),
        created=_time(data.get("created")),
    )


def _invoice(data: dict[str, Any]) -> ProcessorInvoice:
    currency = str(data.get("currency") or "").upper()
    # Today's API: the subscription under `parent`, taxes in `total_taxes`;
    # older versions: `subscription` and `tax`.
    parent = (data.get("parent") or {}).get("subscription_details") or {}
    subscription = data.get("subscription") or parent.get("subscription")
    tax = data.get("tax")
    if tax is None:
        tax = sum(int(t.get("amount") or 0) for t in data.get("total_taxes") or [])
    lines = [
        InvoiceLine(
            description=str(line.get("description") or ""),
            quantity=int(line.get("quantity") or 1),
            amount=_money(line.get("amount"), currency),
        )
        for line in (data.get("lines") or {}).get("data") or []
    ]
    return ProcessorInvoice(
        id=data["id"],
        customer_id=_id(data.get("customer")),
        status=str(data.get("status") or ""),
        currency=currency,
        total=_money(data.get("total"), currency),
        amount_paid=_money(data.get("amount_paid"), currency),
        amount_due=_money(data.get("amount_due"), currency),
        tax=_money(tax, currency),
        number=str(data.get("number") or ""),
        subscription_id=_id(subscription),
        charge_id=_id(data.get("charge")),
        created=_time(data.get("created")),
        paid_at=_time((data.get("status_transitions") or {}).get("paid_at")),
        lines=lines,
        livemode=bool(data.get("livemode")),
    )


def _charge(data: dict[str, Any]) -> ProcessorCharge:
    currency = str(data.get("currency") or "").upper()
    details = (data.get("payment_method_details") or {}).get("card")
    refunds = data.get("refunds")
    refund_rows = refunds.get("data") or [] if isinstance(refunds, dict) else []
    return ProcessorCharge(
        id=data["id"],
        amount=_money(data.get("amount"), currency),
        currency=currency,
        status=str(data.get("status") or ""),
        amount_refunded=_money(data.get("amount_refunded"), currency),
        customer_id=_id(data.get("customer")),
        invoice_id=_id(data.get("invoice")),
        created=_time(data.get("created")),
        failure_message=str(data.get("failure_message") or ""),
        card=(
            _card({"card": details, "id": _id(data.get("payment_method"))})
            if isinstance(details, dict)
            else None
        ),
        refunds=[_refund(refund, currency) for refund in refund_rows],
        livemode=bool(data.get("livemode")),
    )


def _refund(refund: dict[str, Any], currency: str) -> ProcessorRefund:
    currency = str(refund.get("currency") or currency).upper()
    return ProcessorRefund(
        id=refund["id"],
        amount=_money(refund.get("amount"), currency),
        currency=currency,
        status=str(refund.get("status") or ""),
        reason=str(refund.get("reason") or ""),
        created=_time(refund.get("created")),
    )


def _event(data: dict[str, Any]) -> ProcessorEvent:
    obj = (data.get("data") or {}).get("object") or {}
    return ProcessorEvent(
        id=str(data.get("id") or ""),
        type=str(data.get("type") or ""),
        created=_time(data.get("created")),
        livemode=bool(data.get("livemode")),
        object_id=str(obj.get("id") or "") if isinstance(obj, dict) else "",
        object_type=str(obj.get("object") or "") if isinstance(obj, dict) else "",
        data=obj if isinstance(obj, dict) else {},
    )
