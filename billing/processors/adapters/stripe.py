"""Stripe, through the official SDK (`stripe` 16, API 2026-10-28).

One `StripeClient` per adapter, that is per vendor key: keys never travel
through module globals, so two vendors' calls in one process cannot mix.
Every write carries the caller's idempotency key, so a retried request (by
the SDK, a task or a double click) does the thing once.

The adapter reads the pinned API version's shapes only (the fake Stripe of
the tests is patched to speak them, never the other way round; the fields
read are declared in `stripe_objects.FIELDS` and checked against the SDK by a
contract test). Responses are turned into plain dicts at once (SDK 16
objects are not dicts) and every field is read as "may be missing". Amounts
cross only through `billing.money`.

Nothing Stripe-specific leaves this module: results are our dataclasses and
every failure is a `ProcessorError` (see `_error`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import stripe
from django.conf import settings

from billing.money import to_minor_units

from .base import (
    MESSAGE_NOT_CONNECTED,
    MESSAGE_NOT_FOUND,
    MESSAGE_REFUSED,
    MESSAGE_UNAVAILABLE,
    Adapter,
    Address,
    CardSummary,
    ConnectionReport,
    Page,
    ProcessorCharge,
    ProcessorCustomer,
    ProcessorError,
    ProcessorEvent,
    ProcessorInvoice,
    ProcessorRefund,
    ProcessorSetupIntent,
    ProcessorSubscription,
    ProcessorTaxId,
    WebhookEndpoint,
    WebhookSignatureError,
)
from .stripe_objects import (
    address_filled,
    card_of,
    charge_of,
    customer_of,
    event_of,
    id_of,
    invoice_of,
    invoice_references,
    page_limit,
    page_of,
    refund_of,
    setup_intent_of,
    subscription_of,
    tax_id_of,
)

if TYPE_CHECKING:
    from stripe.params import (
        ChargeListParams,
        CustomerCreateParams,
        CustomerListParams,
        CustomerTaxIdCreateParams,
        CustomerUpdateParams,
        InvoiceLineItemListParams,
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


# What an invoice read expands: its payments (InvoicePayment objects, not
# included by default) down to the payment intent, whose `latest_charge` is
# the charge (API 2025-03-31 removed `invoice.charge`). Four levels, Stripe's
# limit; a list can only reach `data.payments`, see `_invoice_charge`.
INVOICE_EXPAND = ["payments.data.payment.payment_intent", "discounts", "lines.data.discounts"]
# An invoice list expands its payments and the invoice's own discounts (the
# lines' discounts would be a fifth level).
INVOICE_LIST_EXPAND = ["data.payments", "data.discounts"]
# An invoice embeds only the first page of its lines (10, `lines.has_more`);
# the rest are read from GET /v1/invoices/{id}/lines, at most 100 a page,
# with their discounts expanded as an invoice read expands its lines'.
INVOICE_LINES_PAGE = 100
INVOICE_LINES_EXPAND = ["data.discounts"]


# Card error codes that mean "the bank wants the customer to authenticate"
# (3-D Secure) rather than "the card was refused".
AUTHENTICATION_CODES = {
    "authentication_required",
    "card_authentication_required",
    "invoice_payment_intent_requires_action",
    "payment_intent_authentication_failure",
    "setup_intent_authentication_failure",
}


class _LimitedRequestsClient(stripe.RequestsClient):
    """The SDK's HTTP client, with the account's token bucket taken before
    each request (retries included) and Stripe's 429 honoured: its
    Retry-After pauses the bucket for every process, and a short one is
    waited here, in the thread; a longer one (or a 429 that keeps coming)
    reaches the caller as RateLimited, and the task retries then."""

    RETRIES_ON_429 = 3

    def __init__(self, *, limiter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._limiter = limiter

    def request(self, method, url, headers, post_data=None):
        from billing.processors.rate_limits import RateLimited, retry_after_seconds

        for attempt in range(self.RETRIES_ON_429 + 1):
            self._limiter.take()
            content, status, response_headers = super().request(method, url, headers, post_data)
            if status != 429:
                return content, status, response_headers
            wait = retry_after_seconds((response_headers or {}).get("Retry-After"))
            # Backs off: a 429 that comes again waits longer each time.
            wait = wait * (2**attempt)
            self._limiter.pause(wait)
            logger.info("Stripe answered 429; every process waits %.1f s", wait)
            if wait > settings.PROCESSOR_RETRY_AFTER_MAX_WAIT or attempt == self.RETRIES_ON_429:
                raise RateLimited(wait, detail=f"status=429 retry_after={wait:.1f}")
            time.sleep(wait)
        raise AssertionError("unreachable")


class StripeAdapter(Adapter):
    """The hub's operations on one vendor's Stripe account."""

    processor = "stripe"

    def __init__(self, secret_key: str, *, limiter=None) -> None:
        """`limiter` (billing.processors.rate_limits): the account's shared
        token bucket, taken before every request (the webhook path)."""
        base = getattr(settings, "STRIPE_API_BASE", "")
        http_client = (
            _LimitedRequestsClient(timeout=TIMEOUT, limiter=limiter)
            if limiter is not None
            else stripe.RequestsClient(timeout=TIMEOUT)
        )
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": base} if base else None,
            max_network_retries=getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 2),
            http_client=http_client,
        )
        self._product_names: dict[str, str] = {}
        self._tax_rates: dict[str, dict[str, Any]] = {}
        self._coupons: dict[str, dict[str, Any]] = {}

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
                # The SDK's own check (what construct_event runs first); its
                # Event object is not built: we read the plain JSON, and
                # building it cost about a tenth of the endpoint's CPU.
                stripe.WebhookSignature.verify_header(
                    payload, signature_header, secret, tolerance=tolerance
                )
            except stripe.SignatureVerificationError as exc:
                reason = "stale timestamp" if "tolerance" in str(exc) else "bad signature"
                continue
            try:
                data = json.loads(payload)
            except ValueError as exc:  # not JSON (UnicodeDecodeError is one)
                raise WebhookSignatureError("invalid payload") from exc
            if not isinstance(data, dict) or data.get("object") == "v2.core.event":
                # A thin (v2) event, which construct_event refuses too.
                raise WebhookSignatureError("invalid payload")
            # The SDK refuses only a timestamp too old; one far ahead of our
            # clock would stay "fresh" for as long as it is ahead, so a
            # signature made (or stolen) now could be replayed later.
            if _signature_timestamp(signature_header) > time.time() + tolerance:
                raise WebhookSignatureError("timestamp in the future")
            return event_of(data)
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
        return refund_of(_plain(refund), currency)

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
        if address is not None and address_filled(address):
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
        return customer_of(_plain(created))

    def customer_get(self, *, customer_id: str) -> ProcessorCustomer:
        with _translated():
            return customer_of(_plain(self._client.v1.customers.retrieve(customer_id)))

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
                if address_filled(address)
                else ""
            )
        with _translated():
            updated = self._client.v1.customers.update(
                customer_id, params=params, options={"idempotency_key": idempotency_key}
            )
        return customer_of(_plain(updated))

    def customer_tax_id_create(
        self, *, customer_id: str, type: str, value: str, idempotency_key: str
    ) -> ProcessorTaxId:
        """POST /v1/customers/{id}/tax_ids. Stripe refuses a value it finds
        invalid for the type (`tax_id_invalid`): a ProcessorError("refused")."""
        params: CustomerTaxIdCreateParams = {"type": cast(Any, type), "value": value}
        with _translated():
            created = self._client.v1.customers.tax_ids.create(
                customer_id, params=params, options={"idempotency_key": idempotency_key}
            )
        return tax_id_of(_plain(created))

    def customer_tax_id_get(self, *, customer_id: str, tax_id_id: str) -> ProcessorTaxId:
        """GET /v1/customers/{id}/tax_ids/{tax_id}: its verification now."""
        with _translated():
            found = self._client.v1.customers.tax_ids.retrieve(customer_id, tax_id_id)
        return tax_id_of(_plain(found))

    def customer_tax_id_delete(self, *, customer_id: str, tax_id_id: str) -> None:
        """DELETE /v1/customers/{id}/tax_ids/{tax_id}; gone already is done."""
        try:
            with _translated():
                self._client.v1.customers.tax_ids.delete(customer_id, tax_id_id)
        except ProcessorError as error:
            if error.code != "not_found":
                raise

    def customer_list(self, *, cursor: str = "", limit: int = 100) -> Page:
        with _translated():
            params: CustomerListParams = {"limit": page_limit(limit)}
            if cursor:
                params["starting_after"] = cursor
            result = self._client.v1.customers.list(params=params)
        return page_of(_plain(result), customer_of)

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
        return card_of(attached)

    def payment_method_card(self, *, payment_method_id: str) -> CardSummary:
        with _translated():
            method = self._client.v1.payment_methods.retrieve(payment_method_id)
        return card_of(_plain(method))

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
            owner = id_of(method.get("customer"))
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
        return card_of(method)

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
        return setup_intent_of(_plain(intent))

    def setup_intent_get(self, *, setup_intent_id: str) -> ProcessorSetupIntent:
        with _translated():
            return setup_intent_of(_plain(self._client.v1.setup_intents.retrieve(setup_intent_id)))

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
        return self._named(subscription_of(_plain(created)))

    def subscription_get(self, *, subscription_id: str) -> ProcessorSubscription:
        with _translated():
            found = self._client.v1.subscriptions.retrieve(
                subscription_id, params={"expand": SUBSCRIPTION_EXPAND}
            )
        return self._named(subscription_of(_plain(found)))

    def _named(self, subscription: ProcessorSubscription) -> ProcessorSubscription:
        """The subscription with its product's name. A list cannot expand the
        product (five levels deep, Stripe's limit is four): each product is
        read once per adapter (one import run, one webhook), never the plan's
        nickname (the vendor's internal label) or the product's id."""
        if subscription.product or not subscription.product_id:
            return subscription
        name = self._product_names.get(subscription.product_id)
        if name is None:
            with _translated():
                product = _plain(self._client.v1.products.retrieve(subscription.product_id))
            name = self._product_names[subscription.product_id] = str(product.get("name") or "")
        return replace(subscription, product=name)

    def subscription_list(
        self, *, customer_id: str = "", cursor: str = "", limit: int = 100
    ) -> Page:
        params: SubscriptionListParams = {
            "limit": page_limit(limit),
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
        page = page_of(_plain(result), subscription_of)
        return replace(page, items=[self._named(subscription) for subscription in page.items])

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
        return self._named(subscription_of(_plain(result)))

    def subscription_cancel_undo(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        with _translated():
            result = self._client.v1.subscriptions.update(
                subscription_id,
                params={"cancel_at_period_end": False, "expand": SUBSCRIPTION_EXPAND},
                options={"idempotency_key": idempotency_key},
            )
        return self._named(subscription_of(_plain(result)))

    def subscription_finalize_period_end(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        """Stripe ends a subscription at its period end by itself: read it."""
        return self.subscription_get(subscription_id=subscription_id)

    # --- invoices and charges -------------------------------------------------

    def invoice_get(self, *, invoice_id: str) -> ProcessorInvoice:
        with _translated():
            found = self._client.v1.invoices.retrieve(invoice_id, params={"expand": INVOICE_EXPAND})
        return self._invoice_as_charged(_plain(found))

    def invoice_list(
        self,
        *,
        customer_id: str = "",
        subscription_id: str = "",
        cursor: str = "",
        limit: int = 100,
    ) -> Page:
        params: InvoiceListParams = {"limit": page_limit(limit), "expand": INVOICE_LIST_EXPAND}
        if cursor:
            params["starting_after"] = cursor
        if customer_id:
            params["customer"] = customer_id
        if subscription_id:
            params["subscription"] = subscription_id
        with _translated():
            result = self._client.v1.invoices.list(params=params)
        page = page_of(_plain(result), self._invoice_as_charged)
        return replace(page, items=[self._invoice_charge(invoice) for invoice in page.items])

    def invoice_open_for_subscription(self, *, subscription_id: str) -> ProcessorInvoice | None:
        """The subscription's newest unpaid (open) invoice, if any."""
        with _translated():
            result = self._client.v1.invoices.list(
                params={
                    "subscription": subscription_id,
                    "status": "open",
                    "limit": 1,
                    "expand": ["data.payments"],
                }
            )
        page = page_of(_plain(result), self._invoice_as_charged)
        return self._invoice_charge(page.items[0]) if page.items else None

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
                invoice_id,
                params={**params, "expand": INVOICE_EXPAND},
                options={"idempotency_key": idempotency_key},
            )
        return self._invoice_as_charged(_plain(paid))

    def _invoice_as_charged(self, data: dict[str, Any]) -> ProcessorInvoice:
        """The invoice with the tax rates and coupons it names by id read
        (once per id and adapter: a page of renewals shares a few rates), so
        each line states its rate, label and coupon as Stripe charged them.
        A long invoice's lines beyond the embedded page are read first."""
        data = self._invoice_all_lines(data)
        rate_ids, coupon_ids = invoice_references(data)
        with _translated():
            for rate_id in rate_ids - self._tax_rates.keys():
                self._tax_rates[rate_id] = _plain(self._client.v1.tax_rates.retrieve(rate_id))
            for coupon_id in coupon_ids - self._coupons.keys():
                self._coupons[coupon_id] = _plain(self._client.v1.coupons.retrieve(coupon_id))
        return invoice_of(data, tax_rates=self._tax_rates, coupons=self._coupons)

    def _invoice_all_lines(self, data: dict[str, Any]) -> dict[str, Any]:
        """The invoice with every line: Stripe embeds the first 10 (a list
        with `has_more`), and an invoice printed from those alone would
        leave lines out. The others are read page by page after the last
        one we have; each page is a read like any other, through this
        adapter's client and so its account's rate limiter, made where the
        invoice itself is read (never inside a recording transaction)."""
        embedded = data.get("lines") or {}
        rows = list(embedded.get("data") or [])
        more = bool(embedded.get("has_more")) and bool(rows)
        while more:
            params: InvoiceLineItemListParams = {
                "limit": INVOICE_LINES_PAGE,
                "starting_after": str(rows[-1]["id"]),
                "expand": INVOICE_LINES_EXPAND,
            }
            with _translated():
                page = _plain(self._client.v1.invoices.line_items.list(data["id"], params=params))
            found = page.get("data") or []
            rows.extend(found)
            more = bool(page.get("has_more")) and bool(found)
        if len(rows) == len(embedded.get("data") or []):
            return data
        return data | {"lines": embedded | {"data": rows, "has_more": False}}

    def _invoice_charge(self, invoice: ProcessorInvoice) -> ProcessorInvoice:
        """The invoice with its charge id: a list names only the payment
        intent (expanding further would pass Stripe's four levels), whose
        `latest_charge` is one more read, made only for an invoice that was
        paid or attempted."""
        if invoice.charge_id or not invoice.payment_intent_id:
            return invoice
        if invoice.status not in ("paid", "open", "uncollectible"):
            return invoice
        with _translated():
            intent = _plain(self._client.v1.payment_intents.retrieve(invoice.payment_intent_id))
        return replace(invoice, charge_id=id_of(intent.get("latest_charge")))

    def invoice_id_for_payment_intent(self, *, payment_intent_id: str) -> str:
        """The invoice a payment intent pays, if any: Stripe's charges and
        payment intents no longer name their invoice (API 2025-03-31); the
        InvoicePayment list, filtered by the payment intent, does."""
        if not payment_intent_id:
            return ""
        with _translated():
            listed = _plain(
                self._client.v1.invoice_payments.list(
                    params={
                        "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
                        "limit": 1,
                    }
                )
            )
        for item in listed.get("data") or []:
            return id_of(item.get("invoice"))
        return ""

    def charge_get(self, *, charge_id: str, find_invoice: bool = True) -> ProcessorCharge:
        """The charge with every refund, and the invoice it paid if any
        (one more read: `find_invoice=False` when the caller knows it, or
        has the charge's payment already)."""
        with _translated():
            found = self._client.v1.charges.retrieve(charge_id, params={"expand": ["refunds"]})
        charge = charge_of(_plain(found))
        if not find_invoice:
            return charge
        invoice_id = self.invoice_id_for_payment_intent(payment_intent_id=charge.payment_intent_id)
        return replace(charge, invoice_id=invoice_id) if invoice_id else charge

    def charge_list(self, *, customer_id: str = "", cursor: str = "", limit: int = 100) -> Page:
        params: ChargeListParams = {"limit": page_limit(limit)}
        if cursor:
            params["starting_after"] = cursor
        if customer_id:
            params["customer"] = customer_id
        with _translated():
            result = self._client.v1.charges.list(params=params)
        return page_of(_plain(result), charge_of)


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


def _signature_timestamp(header: str) -> int:
    """The `t=` of a `Stripe-Signature` header the SDK accepted (so it has
    one, and it is an integer)."""
    for item in header.split(","):
        name, _, value = item.partition("=")
        if name.strip() == "t":
            return int(value)
    return 0


def _plain(obj: Any) -> dict[str, Any]:
    """An SDK object as a plain dict (SDK 16 objects are not dicts)."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()
