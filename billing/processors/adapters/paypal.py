"""PayPal subscriptions, through the official SDK (`paypal-server-sdk` 2.4).

One SDK client per adapter, that is per vendor's client id and secret: the
OAuth token the SDK fetches (once, then reused until it expires) belongs to
that vendor alone. Calls go to `settings.PAYPAL_API_BASE` when it is set (our
fake PayPal in tests and the demo), else to PayPal's sandbox or live API.

Reading: the SDK's response models turn 0 into None and cannot always be
turned back into dicts, so every response is read from its raw JSON text.

Cancelling: PayPal has no "cancel at period end". We suspend instead (billing
stops at once, the customer keeps access until the period end) with a
status note that says so (`PERIOD_END_NOTE`); our nightly job cancels the
subscription for good at the period end (`subscription_finalize_period_end`)
and "Keep my subscription" activates it again. Reading such a subscription
back gives status "paused" (PayPal's SUSPENDED) with `cancel_at_period_end=True`
and the period end, so a re-sync never turns it into a plain pause.

Writes are safe to repeat: cancel, suspend and activate are state changes,
and PayPal's 422 "already in that state" after a retried call is read as
success. Each write also carries the caller's idempotency key as
`PayPal-Request-Id` (added by an SDK callback: the SDK's cancel, suspend and
activate calls have no parameter for it).

Nothing PayPal-specific leaves this module: results are our dataclasses and
every failure is a `ProcessorError` (see `_error`). The SDK's own request
logging stays off (`logging_configuration=None`), so the client secret and
bearer tokens never reach a log.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests
from apimatic_core.authentication.multiple.single_auth import Single
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from apimatic_core.request_builder import RequestBuilder
from apimatic_core.response_handler import ResponseHandler
from apimatic_core.types.parameter import Parameter
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.http.http_call_back import HttpCallBack
from paypalserversdk.http.http_method_enum import HttpMethodEnum
from paypalserversdk.models.activate_subscription_request import ActivateSubscriptionRequest
from paypalserversdk.models.cancel_subscription_request import CancelSubscriptionRequest
from paypalserversdk.models.money import Money
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.models.suspend_subscription import SuspendSubscription
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from billing.money import parse_decimal_amount

from .base import (
    MESSAGE_MISCONFIGURED,
    MESSAGE_NOT_CONNECTED,
    MESSAGE_NOT_FOUND,
    MESSAGE_PAYPAL_SUSPENDED,
    MESSAGE_REFUSED,
    MESSAGE_UNAVAILABLE,
    Adapter,
    ConnectionReport,
    ProcessorError,
    ProcessorPayer,
    ProcessorRefund,
    ProcessorSubscription,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

# Seconds to connect / to wait for an answer: a customer is waiting on most calls.
TIMEOUT = (5.0, 10.0)
# Retries of a call that met a network error or a 5xx/429 answer. The SDK
# retries only GETs on a status (writes are not replayed blindly); urllib3
# backs off 0 s, then 2 x BACKOFF.
MAX_RETRIES = 2
BACKOFF = 0.5

SANDBOX_MANAGE_URL = "https://www.sandbox.paypal.com/myaccount/autopay/"
LIVE_MANAGE_URL = "https://www.paypal.com/myaccount/autopay/"

# A refund PayPal refuses because the payment has nothing left to refund.
MESSAGE_ALREADY_REFUNDED = _(
    "This payment has already been refunded in full at PayPal, so there is nothing left to refund."
)
# PayPal's refund statuses, as the hub's (Stripe's) refund statuses.
REFUND_STATUSES = {"COMPLETED": "succeeded", "PENDING": "pending", "FAILED": "failed"}
REFUND_ISSUES_DONE = ("CAPTURE_FULLY_REFUNDED",)

# PayPal requires a reason (1 to 128 characters) to cancel or suspend.
REASON_MAX = 128
DEFAULT_CANCEL_REASON = "Cancelled by the customer in the hub"
FINALIZE_REASON = "Cancelled at the end of the paid period, as the customer asked"
UNDO_REASON = "Kept by the customer in the hub"
# The status note of a subscription suspended because its customer cancelled
# it for the period end; `_subscription` recognises it when reading one back.
PERIOD_END_NOTE = "Ends at the end of the paid period: cancelled by the customer in the hub"

STATUSES = {
    "ACTIVE": "active",
    "SUSPENDED": "paused",
    "CANCELLED": "canceled",
    "EXPIRED": "canceled",
    "APPROVAL_PENDING": "incomplete",
    "APPROVED": "incomplete",
}

INTERVAL_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}

# The captured payment a v2 refund's `up` link leads to (PayPal's sample
# PAYMENT.CAPTURE.REFUNDED: https://api.paypal.com/v2/payments/captures/0JF852973C016714D).
CAPTURE_LINK = re.compile(r"/v2/payments/captures/([A-Za-z0-9]{1,64})/?$")

# Every field of PayPal's answers this module reads, by the paypal-server-sdk
# model (or error) that declares it; `[]` stands for each item of a list. The
# contract test (tests/billing/adapters/test_paypal_contract.py) checks that
# each one exists in the pinned SDK's models and that reading the fake
# PayPal's answers touches no field missing here, so a misspelt or removed
# field fails a test, and upgrading the SDK re-checks them all.
SDK_FIELDS_READ: dict[str, tuple[str, ...]] = {
    "Subscription": (
        "id",
        "status",
        "status_change_note",
        "status_update_time",
        "create_time",
        "plan_id",
        "quantity",
        "shipping_amount.currency_code",
        "shipping_amount.value",
        "subscriber.payer_id",
        "subscriber.email_address",
        "subscriber.name.given_name",
        "subscriber.name.surname",
        "billing_info.next_billing_time",
        "billing_info.failed_payments_count",
        "billing_info.outstanding_balance.currency_code",
        "billing_info.outstanding_balance.value",
        "billing_info.last_payment.time",
        "billing_info.last_payment.amount.currency_code",
        "billing_info.last_payment.amount.value",
        "billing_info.cycle_executions[].tenure_type",
        "billing_info.cycle_executions[].cycles_completed",
        "billing_info.cycle_executions[].total_cycles",
        "plan.name",
        "plan.taxes.percentage",
        "plan.taxes.inclusive",
        "plan.billing_cycles[].tenure_type",
        "plan.billing_cycles[].frequency.interval_unit",
        "plan.billing_cycles[].frequency.interval_count",
        "plan.billing_cycles[].pricing_scheme.fixed_price.currency_code",
        "plan.billing_cycles[].pricing_scheme.fixed_price.value",
    ),
    "TransactionsList": (
        "transactions[].id",
        "transactions[].status",
        "transactions[].time",
        "transactions[].amount_with_breakdown.gross_amount.currency_code",
        "transactions[].amount_with_breakdown.gross_amount.value",
        "transactions[].amount_with_breakdown.tax_amount.currency_code",
        "transactions[].amount_with_breakdown.tax_amount.value",
    ),
    "CapturedPayment": ("amount.currency_code", "amount.value"),
    "Refund": (
        "id",
        "status",
        "create_time",
        "amount.currency_code",
        "amount.value",
        "note_to_payer",
        "links[].rel",
        "links[].href",
    ),
    "SubscriptionError": ("name", "debug_id", "details[].issue", "details[].field"),
    "OAuthError": ("error",),
}
# The enum values (by SDK enum) the code compares PayPal's strings with;
# STATUSES' keys are SubscriptionStatus's. Checked by the same test.
ENUM_VALUES_COMPARED: dict[str, frozenset[str]] = {
    "TenureType": frozenset({"REGULAR", "TRIAL"}),
    "IntervalUnit": frozenset(unit.upper() for unit in INTERVAL_DAYS),
}
# The answers the SDK has no model for (its webhooks API, and the v1 sale and
# refund that PAYMENT.SALE.* events carry), as PayPal documents them (the
# verify-webhook-signature and webhooks-list references, its sample events).
# The event envelope and the sale's subscription are read by the webhook
# receiver and processing (billing/processors/webhooks.py, billing/processors/paypal_sync.py).
OTHER_FIELDS_READ: dict[str, tuple[str, ...]] = {
    "event": ("id", "event_type", "create_time", "resource_type", "resource"),
    "verify response": ("verification_status",),
    "webhook list": ("webhooks[].id", "webhooks[].url", "webhooks[].event_types[].name"),
    "v1 sale": (
        "id",
        "state",
        "amount.total",
        "amount.currency",
        "amount.details.tax",
        "create_time",
        "billing_agreement_id",
    ),
    "v1 refund": ("id", "sale_id", "amount.total", "amount.currency", "create_time", "reason"),
}


class _Configuration(Configuration):
    """The SDK's configuration, pointed at PAYPAL_API_BASE when it is set."""

    def __init__(self, *, base_uri: str, **kwargs: Any) -> None:
        self._hub_base_uri = base_uri
        super().__init__(**kwargs)

    def get_base_uri(self, server: Any = Server.DEFAULT) -> str:
        return self._hub_base_uri or super().get_base_uri(server)


class _RequestIdHeader(HttpCallBack):
    """Adds `PayPal-Request-Id` to the write being made, if any; with a
    limiter (the webhook path), takes a token from the account's shared
    bucket before each request and pauses the bucket for every process on a
    429 (the SDK then retries after its Retry-After, urllib3's way)."""

    def __init__(self, limiter: Any = None) -> None:
        self.request_id = ""
        self.limiter = limiter

    def on_before_request(self, request: Any) -> None:
        if self.limiter is not None:
            self.limiter.take()
        if self.request_id and "/v1/oauth2/" not in str(request.query_url):
            request.add_header("PayPal-Request-Id", self.request_id)

    def on_after_response(self, http_response: Any) -> None:
        if self.limiter is not None and getattr(http_response, "status_code", 0) == 429:
            from billing.processors.rate_limits import retry_after_seconds

            headers = getattr(http_response, "headers", None) or {}
            self.limiter.pause(retry_after_seconds(headers.get("Retry-After")))


def _fetch_token(last_token: Any, auth_manager: Any) -> Any:
    """The SDK's own token fetch, minus its habit of swallowing a refusal
    (it would then fail later with a message-less "token undefined"): a 401
    here means the vendor's credentials are wrong, and must say so."""
    return auth_manager.fetch_token()


class PayPalAdapter(Adapter):
    """The hub's operations on one vendor's PayPal subscriptions."""

    processor = "paypal"

    def __init__(
        self, client_id: str, client_secret: str, sandbox: bool, *, limiter: Any = None
    ) -> None:
        base = (getattr(settings, "PAYPAL_API_BASE", "") or "").rstrip("/")
        self._base = base
        self._sandbox = sandbox
        self._request_id = _RequestIdHeader(limiter)
        config = _Configuration(
            base_uri=base,
            environment=Environment.SANDBOX if sandbox else Environment.PRODUCTION,
            timeout=TIMEOUT,
            max_retries=MAX_RETRIES,
            backoff_factor=BACKOFF,
            http_call_back=self._request_id,
            logging_configuration=None,
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=client_id,
                o_auth_client_secret=client_secret,
                o_auth_token_provider=_fetch_token,
            ),
        )
        self._client = PaypalServersdkClient(config=config)

    def __repr__(self) -> str:
        # Never the secret, even in a traceback's locals.
        return "<PayPalAdapter>"

    # --- subscriptions ----------------------------------------------------------

    def subscription_get(self, *, subscription_id: str) -> ProcessorSubscription:
        return _subscription(self._subscription_raw(subscription_id), livemode=self._livemode)

    def subscription_cancel(
        self, *, subscription_id: str, at_period_end: bool, reason: str = "", idempotency_key: str
    ) -> ProcessorSubscription:
        """Cancel now (PayPal stops billing for good), or suspend it until
        our nightly job cancels it at the period end (see the module doc).
        The customer's reason goes to PayPal, where the vendor sees it."""
        if at_period_end:
            note = f"{PERIOD_END_NOTE} ({reason})" if reason else PERIOD_END_NOTE
            self._transition(
                "suspend", subscription_id, _reason(note), idempotency_key, done={"SUSPENDED"}
            )
            found = self.subscription_get(subscription_id=subscription_id)
            # Also when PayPal's copy lacks our note (it was suspended before).
            return replace(found, cancel_at_period_end=True, next_payment_at=None)
        self._transition(
            "cancel",
            subscription_id,
            _reason(reason or DEFAULT_CANCEL_REASON),
            idempotency_key,
            done={"CANCELLED", "EXPIRED"},
        )
        return self.subscription_get(subscription_id=subscription_id)

    def subscription_cancel_undo(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        """ "Keep my subscription": billing starts again where it stopped."""
        return self.subscription_activate(
            subscription_id=subscription_id, reason=UNDO_REASON, idempotency_key=idempotency_key
        )

    def subscription_finalize_period_end(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        """Cancel for good a subscription cancelled for its period end. One
        that has already ended is returned as it is: safe to run twice."""
        self._transition(
            "cancel",
            subscription_id,
            FINALIZE_REASON,
            idempotency_key,
            done={"CANCELLED", "EXPIRED"},
        )
        return self.subscription_get(subscription_id=subscription_id)

    def subscription_suspend(
        self, *, subscription_id: str, reason: str, idempotency_key: str
    ) -> ProcessorSubscription:
        self._transition(
            "suspend",
            subscription_id,
            _reason(reason or "Suspended in the hub"),
            idempotency_key,
            done={"SUSPENDED"},
        )
        return self.subscription_get(subscription_id=subscription_id)

    def subscription_activate(
        self, *, subscription_id: str, reason: str = "", idempotency_key: str
    ) -> ProcessorSubscription:
        self._transition(
            "activate", subscription_id, _reason(reason), idempotency_key, done={"ACTIVE"}
        )
        return self.subscription_get(subscription_id=subscription_id)

    def subscription_transactions(
        self, *, subscription_id: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """The subscription's payments between `start` and `end`: dicts with
        `id`, `status` (PayPal's: COMPLETED, DECLINED, REFUNDED, ...),
        `amount` (Decimal, gross), `currency` and `time` (aware datetime)."""
        with _translated("transactions"):
            response = self._client.subscriptions.list_subscription_transactions(
                {
                    "id": subscription_id,
                    "start_time": _paypal_time(start),
                    "end_time": _paypal_time(end),
                }
            )
        rows = []
        for item in _raw(response).get("transactions") or []:
            breakdown = item.get("amount_with_breakdown") or {}
            amount, currency = _money(breakdown.get("gross_amount") or {})
            tax, _ = _money(breakdown.get("tax_amount") or {})
            rows.append(
                {
                    "id": str(item.get("id") or ""),
                    "status": str(item.get("status") or ""),
                    "amount": amount,
                    "currency": currency,
                    "time": _time(item.get("time")),
                    # The tax PayPal took with it (None when it states none).
                    "tax": tax,
                }
            )
        return rows

    # --- events that carry what no API returns -----------------------------------------

    def sale_of_event(self, *, resource: Mapping[str, Any]) -> dict[str, Any]:
        """The v1 sale of a PAYMENT.SALE.COMPLETED, as a transaction row (see
        `subscription_transactions`): its id is the transaction's id, its
        `amount.total` what the payer paid (tax and shipping included)."""
        money = resource.get("amount") or {}
        amount, currency = _sale_money(money)
        details = money.get("details") if isinstance(money, dict) else None
        tax = (details or {}).get("tax") if isinstance(details, dict) else None
        return {
            "id": str(resource.get("id") or ""),
            "status": str(resource.get("state") or "").upper(),
            "amount": amount,
            "currency": currency,
            "time": _time(resource.get("create_time")),
            "tax": _money({"currency_code": currency, "value": tax})[0] if tax else None,
        }

    def refund_of_event(self, *, resource: Mapping[str, Any]) -> dict[str, Any]:
        """The v1 refund of a PAYMENT.SALE.REFUNDED or .REVERSED: `id`,
        `sale_id`, `amount` (positive: PayPal writes these totals negative),
        `currency`, `time`, `reason`. A reversal's event does not name its
        sale: then the refund is read from PayPal (GET /v1/payments/refund)."""
        refund_id = str(resource.get("id") or "")
        sale_id = str(resource.get("sale_id") or "")
        if not sale_id and refund_id:
            with _translated("refund get"):
                found = _raw(self._get(f"/v1/payments/refund/{quote(refund_id, safe='')}"))
            sale_id = str(found.get("sale_id") or "")
        amount, currency = _sale_money(resource.get("amount") or {})
        return {
            "id": refund_id,
            "sale_id": sale_id,
            "amount": abs(amount) if amount is not None else None,
            "currency": currency,
            "time": _time(resource.get("create_time")),
            "reason": str(resource.get("reason") or ""),
        }

    def refund_of_capture_event(self, *, resource: Mapping[str, Any]) -> dict[str, Any]:
        """The v2 refund of a PAYMENT.CAPTURE.REFUNDED or .REVERSED, as
        `refund_of_event` reads a v1 one. PayPal reports a refund of a
        subscription's sale made through the v2 payments API (as the hub's
        own `refund_create` makes them) with these events: the resource is
        paypal-server-sdk's `Refund`, whose `id` is the refund's PayPal id
        (the one `refund_create` returned, and a PAYMENT.SALE.REFUNDED for
        the same refund names), its amount positive, and its captured
        payment (the subscription's sale) only in the `up` link. `status` is
        the refund's (RefundStatus): one FAILED or CANCELLED took nothing back."""
        sale_id = ""
        for link in resource.get("links") or []:
            if isinstance(link, Mapping) and link.get("rel") == "up":
                found = CAPTURE_LINK.search(str(link.get("href") or ""))
                sale_id = found.group(1) if found else ""
        amount, currency = _money(resource.get("amount"))
        return {
            "id": str(resource.get("id") or ""),
            "sale_id": sale_id,
            "amount": abs(amount) if amount is not None else None,
            "currency": currency,
            "time": _time(resource.get("create_time")),
            "reason": str(resource.get("note_to_payer") or ""),
            "status": str(resource.get("status") or ""),
        }

    # --- refunds ------------------------------------------------------------------

    def refund_create(
        self, *, charge_id: str, amount: Decimal | None = None, idempotency_key: str
    ) -> ProcessorRefund:
        """Refund a payment (a subscription's sale: PayPal's capture), in
        full (`amount` None: PayPal refunds what is left) or in part (in the
        payment's currency). The idempotency key goes as `PayPal-Request-Id`:
        a retried call returns the first refund and refunds nothing more."""
        body = RefundRequest()
        if amount is not None:
            currency = self._capture_currency(charge_id)
            body = RefundRequest(amount=Money(currency_code=currency, value=f"{amount:f}"))
        try:
            response = self._client.payments.refund_captured_payment(
                {
                    "capture_id": charge_id,
                    "paypal_request_id": idempotency_key,
                    "prefer": "return=representation",
                    "body": body,
                }
            )
        except Exception as exc:  # nothing from the SDK may escape
            error = _error(exc)
            if error.code == "refused" and any(i in error.detail for i in REFUND_ISSUES_DONE):
                error = ProcessorError(
                    MESSAGE_ALREADY_REFUNDED, code="already_refunded", detail=error.detail
                )
            _log("refund", error)
            raise error from None
        data = _raw(response)
        refunded, currency = _money(data.get("amount"))
        if not data.get("id") or refunded is None:
            raise ProcessorError(MESSAGE_UNAVAILABLE, code="unavailable", detail="empty refund")
        status = str(data.get("status") or "")
        return ProcessorRefund(
            id=str(data["id"]),
            amount=refunded,
            currency=currency,
            status=REFUND_STATUSES.get(status, status.lower()),
            created=_time(data.get("create_time")),
        )

    def _capture_currency(self, capture_id: str) -> str:
        """A partial refund names its currency: the captured payment's."""
        with _translated("capture get"):
            response = self._client.payments.get_captured_payment({"capture_id": capture_id})
        _, currency = _money(_raw(response).get("amount"))
        if not currency:
            raise ProcessorError(MESSAGE_UNAVAILABLE, code="unavailable", detail="no currency")
        return currency

    # --- payers -------------------------------------------------------------------

    def payer_get(self, *, subscription_id: str) -> ProcessorPayer:
        """The subscription's payer (PayPal has no customer object of its own)."""
        return _payer(self._subscription_raw(subscription_id))

    def subscription_and_payer_get(
        self, *, subscription_id: str
    ) -> tuple[ProcessorSubscription, ProcessorPayer]:
        """Both from one read (a webhook needs both; reads are rate limited)."""
        raw = self._subscription_raw(subscription_id)
        return _subscription(raw, livemode=self._livemode), _payer(raw)

    def manage_payments_url(self, *, subscription_id: str = "") -> str:
        """PayPal's automatic payments page, where a payer changes how a
        subscription is funded (the hub cannot)."""
        if self._base:
            return f"{self._base}/myaccount/autopay/"
        return SANDBOX_MANAGE_URL if self._sandbox else LIVE_MANAGE_URL

    # --- webhooks ---------------------------------------------------------------------

    def webhook_verify(self, *, webhook_id: str, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether PayPal signed this delivery for `webhook_id`, asked of
        PayPal's verify-webhook-signature API (the SDK has no controller for
        it, so the call goes through the SDK's request builder: same token,
        base URL, timeouts and retries as every other call).

        False for a delivery that is not even shaped like one (headers
        missing, body not a JSON object); a ProcessorError when PayPal
        could not be asked (then the sender should retry later).
        """
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}

        def header(name: str) -> str:
            # Django's request.META spells them HTTP_PAYPAL_TRANSMISSION_ID.
            return lowered.get(name) or lowered.get("http_" + name.replace("-", "_")) or ""

        try:
            event = json.loads(body)
        except ValueError:
            return False
        fields = {
            "auth_algo": header("paypal-auth-algo"),
            "cert_url": header("paypal-cert-url"),
            "transmission_id": header("paypal-transmission-id"),
            "transmission_sig": header("paypal-transmission-sig"),
            "transmission_time": header("paypal-transmission-time"),
        }
        if not webhook_id or not isinstance(event, dict) or not all(fields.values()):
            return False
        data = self._verify_call({**fields, "webhook_id": webhook_id}, body)
        return data.get("verification_status") == "SUCCESS"

    def _verify_call(self, fields: dict[str, str], event: bytes) -> dict[str, Any]:
        """POST verify-webhook-signature with `webhook_event` spliced in as
        the delivered bytes. PayPal checks the signature over the event as
        we send it: parsing and re-serialising it (escaped non-ASCII text,
        `1.10` read as a float and written `1.1`, reordered keys) would make
        genuine deliveries fail verification.

        A 400 means PayPal would not even check the signature: our request
        is wrong, which with fields copied from the delivery can only be the
        vendor's saved webhook id. That is a configuration error
        (`misconfigured`), not an outage: retrying cannot fix it."""
        head = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
        payload = head[:-1].encode("ascii") + b',"webhook_event":' + event.strip() + b"}"
        try:
            with _translated("webhook verify"):
                response = (
                    self._client.subscriptions.new_api_call_builder.request(
                        RequestBuilder()
                        .server(Server.DEFAULT)
                        .path("/v1/notifications/verify-webhook-signature")
                        .http_method(HttpMethodEnum.POST)
                        .header_param(Parameter().key("Content-Type").value("application/json"))
                        .header_param(Parameter().key("accept").value("application/json"))
                        .body_param(Parameter().value(payload))
                        .auth(Single("Oauth2")),
                    )
                    .response(ResponseHandler().is_api_response(True))
                    .execute()
                )
        except ProcessorError as error:
            if error.detail.startswith("status=400 "):
                raise ProcessorError(
                    MESSAGE_MISCONFIGURED, code="misconfigured", detail=error.detail
                ) from None
            raise
        return _raw(response)

    def webhook_id_check(self, *, webhook_id: str) -> bool:
        """Does PayPal accept `webhook_id` in a verification at all? Asked
        with a made-up delivery (which PayPal answers FAILURE when the id is
        well formed): False only when PayPal refuses the request because of
        the webhook id (400, naming the field), as it does every genuine
        delivery then."""
        fields = {
            "auth_algo": "SHA256withRSA",
            "cert_url": "https://api.paypal.com/v1/notifications/certs/CERT-hub-check",
            "transmission_id": "hub-connection-check",
            "transmission_sig": "hub-connection-check",
            "transmission_time": _paypal_time(datetime.now(UTC)),
            "webhook_id": webhook_id,
        }
        try:
            self._verify_call(fields, b'{"id":"WH-HUB-CHECK","event_type":"HUB.CHECK"}')
        except ProcessorError as error:
            if error.code == "misconfigured" and "webhook_id" in error.detail:
                return False
            if error.code == "misconfigured":
                return True  # refused for another reason: not the id's fault
            raise
        return True

    # --- the connection itself ---------------------------------------------------------

    def connection_check(self) -> ConnectionReport:
        """Do the client id and secret work (PayPal gives a token only for
        good credentials), and which webhooks does the app have? Reads only.
        `livemode` is the environment the credentials were accepted in."""
        try:
            with _translated("connection check"):
                response = self._get("/v1/notifications/webhooks")
        except ProcessorError as error:
            return ConnectionReport(ok=False, problem=error.message, code=error.code)
        endpoints = [
            WebhookEndpoint(
                id=str(item.get("id") or ""),
                url=str(item.get("url") or ""),
                events=[
                    str(t.get("name"))
                    for t in item.get("event_types") or []
                    if isinstance(t, dict) and t.get("name")
                ],
            )
            for item in _raw(response).get("webhooks") or []
            if isinstance(item, dict)
        ]
        return ConnectionReport(ok=True, livemode=not self._sandbox, webhook_endpoints=endpoints)

    def _get(self, path: str) -> Any:
        """A GET the SDK has no controller for, through its request builder
        (same token, base URL, timeouts and retries as every other call)."""
        return (
            self._client.subscriptions.new_api_call_builder.request(
                RequestBuilder()
                .server(Server.DEFAULT)
                .path(path)
                .http_method(HttpMethodEnum.GET)
                .header_param(Parameter().key("accept").value("application/json"))
                .auth(Single("Oauth2")),
            )
            .response(ResponseHandler().is_api_response(True))
            .execute()
        )

    # --- plumbing ---------------------------------------------------------------------

    @property
    def _livemode(self) -> bool:
        return not self._sandbox and not self._base

    def _subscription_raw(self, subscription_id: str) -> dict[str, Any]:
        with _translated("get"):
            response = self._client.subscriptions.get_subscription(
                {"id": subscription_id, "fields": "plan"}
            )
        return _raw(response)

    def _transition(
        self, action: str, subscription_id: str, reason: str, idempotency_key: str, *, done: set
    ) -> None:
        """POST cancel, suspend or activate. PayPal answers 422 when the
        subscription is not in a state the action applies to: when it is
        already where the action leads (a repeated call), that is success."""
        controller = self._client.subscriptions
        if action == "cancel":
            call, body = controller.cancel_subscription, CancelSubscriptionRequest(reason=reason)
        elif action == "suspend":
            call, body = controller.suspend_subscription, SuspendSubscription(reason=reason)
        else:
            call = controller.activate_subscription
            body = ActivateSubscriptionRequest(reason=reason) if reason else None
        try:
            self._request_id.request_id = idempotency_key
            try:
                call({"id": subscription_id, "body": body})
            finally:
                self._request_id.request_id = ""
        except Exception as exc:  # nothing from the SDK may escape
            error = _error(exc)
            if error.code == "refused":
                status = str(self._subscription_raw(subscription_id).get("status") or "")
                if status in done:
                    return
            if action == "activate" and "SUBSCRIPTION_CANNOT_BE_ACTIVATED" in error.detail:
                # PayPal suspended it itself after the payments it could not
                # take: only paying the balance on PayPal brings it back.
                error = ProcessorError(
                    MESSAGE_PAYPAL_SUSPENDED, code="payment_required", detail=error.detail
                )
            _log(action, error)
            raise error from None


def _payer(raw: Mapping[str, Any]) -> ProcessorPayer:
    subscriber = raw.get("subscriber") or {}
    return ProcessorPayer(
        id=str(subscriber.get("payer_id") or ""),
        email=str(subscriber.get("email_address") or ""),
        name=_name(subscriber.get("name")),
    )


# --- errors ---------------------------------------------------------------------------


@contextmanager
def _translated(operation: str) -> Iterator[None]:
    """Turn whatever the SDK (or the HTTP library under it) raises into one
    ProcessorError."""
    try:
        yield
    except ProcessorError:
        raise
    except Exception as exc:  # nothing from the SDK may escape
        error = _error(exc)
        _log(operation, error)
        raise error from None


def _log(operation: str, error: ProcessorError) -> None:
    logger.warning("PayPal %s failed: %s (%s)", operation, error.code, error.detail)


def _error(exc: Exception) -> ProcessorError:
    """The ProcessorError for what a call raised.

    PayPal's messages are for developers and may name ids or fields, so the
    customer gets one of our plain messages; `detail` keeps the status,
    PayPal's error name, issue codes and debug id for the logs (never a
    token or the secret: neither is ever in an error body).
    """
    if isinstance(exc, requests.RequestException):
        return ProcessorError(
            MESSAGE_UNAVAILABLE, retryable=True, code="unavailable", detail=type(exc).__name__
        )
    if isinstance(exc, AuthValidationException):
        return ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected", detail="no token")
    if not isinstance(exc, ApiException):
        return ProcessorError(MESSAGE_UNAVAILABLE, code="unavailable", detail=type(exc).__name__)
    status = int(exc.response_code or 0)
    detail = _error_detail(exc, status)
    if status == 401 or isinstance(exc, OAuthProviderException):
        return ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected", detail=detail)
    if status == 404:
        return ProcessorError(MESSAGE_NOT_FOUND, code="not_found", detail=detail)
    if status == 429 or status >= 500:
        return ProcessorError(
            MESSAGE_UNAVAILABLE, retryable=True, code="unavailable", detail=detail
        )
    return ProcessorError(MESSAGE_REFUSED, code="refused", detail=detail)


def _error_detail(exc: ApiException, status: int) -> str:
    body: Any = None
    with suppress(ValueError, TypeError, AttributeError):
        body = json.loads(exc.response.text or "")
    body = body if isinstance(body, dict) else {}
    details = [d for d in body.get("details") or [] if isinstance(d, dict)]
    issues = ",".join(str(d.get("issue")) for d in details)
    fields = ",".join(str(d.get("field")).lstrip("/") for d in details if d.get("field"))
    parts = [
        f"status={status}",
        f"name={body.get('name') or body.get('error') or ''}",
        f"issue={issues}" if issues else "",
        f"field={fields}" if fields else "",
        f"debug_id={body['debug_id']}" if body.get("debug_id") else "",
    ]
    return " ".join(p for p in parts if p)


# --- reading PayPal's JSON --------------------------------------------------------------


def _raw(response: Any) -> dict[str, Any]:
    """A response's JSON as a plain dict, read from the text (see module doc)."""
    text = getattr(response, "text", "") or ""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _reason(text: str) -> str:
    return " ".join(str(text).split())[:REASON_MAX]


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _paypal_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _money(money: Any) -> tuple[Decimal | None, str]:
    """PayPal's {"currency_code", "value": "9.00"} as (Decimal, "USD")."""
    if not isinstance(money, dict):
        return None, ""
    currency = str(money.get("currency_code") or "").upper()
    value = money.get("value")
    if not currency or value in (None, ""):
        return None, currency
    try:
        return parse_decimal_amount(str(value), currency), currency
    except (ArithmeticError, ValueError):
        return None, currency


def _sale_money(money: Any) -> tuple[Decimal | None, str]:
    """A v1 payments amount ({"total": "-9.00", "currency": "USD"}), sign kept."""
    if not isinstance(money, dict):
        return None, ""
    return _money({"currency_code": money.get("currency"), "value": money.get("total")})


def _name(name: Any) -> str:
    # A subscriber's `name` is PayPal's Name: given_name and surname only.
    if not isinstance(name, dict):
        return ""
    return " ".join(str(name[k]) for k in ("given_name", "surname") if name.get(k))


def _regular_cycle(plan: dict[str, Any]) -> dict[str, Any]:
    cycles = [c for c in plan.get("billing_cycles") or [] if isinstance(c, dict)]
    regular = [c for c in cycles if c.get("tenure_type") == "REGULAR"]
    return (regular or cycles or [{}])[0]


def _in_trial(billing: dict[str, Any]) -> bool:
    for cycle in billing.get("cycle_executions") or []:
        if isinstance(cycle, dict) and cycle.get("tenure_type") == "TRIAL":
            completed = int(cycle.get("cycles_completed") or 0)
            total = int(cycle.get("total_cycles") or 0)
            if completed < total:
                return True
    return False


def _cycle_amount(
    data: dict[str, Any], cycle: dict[str, Any], billing: dict[str, Any]
) -> tuple[Decimal | None, str]:
    """What PayPal charges each cycle: the plan's price times the quantity,
    plus the subscription's shipping, plus the plan's tax when it is not
    included in the price. We never compute tax: with an exclusive tax the
    amount is the last payment, which is what PayPal took (tax included)."""
    amount, currency = _money((cycle.get("pricing_scheme") or {}).get("fixed_price"))
    last, last_currency = _money((billing.get("last_payment") or {}).get("amount"))
    if amount is None:
        return last, last_currency
    amount = amount * Decimal(str(data.get("quantity") or 1))
    taxes = (data.get("plan") or {}).get("taxes") or {}
    exclusive_tax = bool(taxes.get("percentage")) and not taxes.get("inclusive", True)
    if exclusive_tax and last is not None and last_currency == currency and not _in_trial(billing):
        return last, currency
    shipping, shipping_currency = _money(data.get("shipping_amount"))
    if shipping is not None and shipping_currency == currency:
        amount += shipping
    return amount, currency


def _subscription(data: dict[str, Any], *, livemode: bool) -> ProcessorSubscription:
    if not data.get("id"):
        raise ProcessorError(MESSAGE_UNAVAILABLE, code="unavailable", detail="empty answer")
    paypal_status = str(data.get("status") or "")
    status = STATUSES.get(paypal_status, "incomplete")
    billing = data.get("billing_info") or {}
    plan = data.get("plan") or {}
    cycle = _regular_cycle(plan)
    frequency = cycle.get("frequency") or {}
    interval = str(frequency.get("interval_unit") or "MONTH").lower()
    interval_count = int(frequency.get("interval_count") or 1)

    amount, currency = _cycle_amount(data, cycle, billing)

    next_billing = _time(billing.get("next_billing_time"))
    last_paid = _time((billing.get("last_payment") or {}).get("time"))
    period_end = next_billing
    if period_end is None and last_paid is not None and status != "canceled":
        period_end = last_paid + timedelta(days=INTERVAL_DAYS.get(interval, 30) * interval_count)

    cancel_at_period_end = paypal_status == "SUSPENDED" and str(
        data.get("status_change_note") or ""
    ).startswith(PERIOD_END_NOTE)
    trial_end = None
    outstanding, _ = _money(billing.get("outstanding_balance"))
    unpaid = int(billing.get("failed_payments_count") or 0) > 0 and bool(outstanding)
    if status == "active":
        if unpaid:
            status = "past_due"
        elif _in_trial(billing):
            status = "trialing"
            trial_end = next_billing
    elif paypal_status == "SUSPENDED" and unpaid and not cancel_at_period_end:
        # PayPal suspends a subscription itself once its failed payments
        # reach the plan's threshold: for the customer that is an unpaid
        # subscription (what to do: pay on PayPal), not a pause they chose.
        status = "past_due"
    charging = status in ("active", "past_due", "trialing") and not cancel_at_period_end
    if paypal_status != "ACTIVE":
        charging = False  # PayPal bills nothing while suspended or ended

    subscriber = data.get("subscriber") or {}
    return ProcessorSubscription(
        id=str(data["id"]),
        customer_id=str(subscriber.get("payer_id") or ""),
        status=status,
        product=str(plan.get("name") or ""),
        price_id=str(data.get("plan_id") or ""),
        amount=amount,
        currency=currency,
        interval=interval if interval in INTERVAL_DAYS else "month",
        interval_count=interval_count,
        trial_end=trial_end,
        current_period_end=period_end,
        next_payment_at=next_billing if charging else None,
        cancel_at_period_end=cancel_at_period_end,
        canceled_at=_time(data.get("status_update_time")) if status == "canceled" else None,
        livemode=livemode,
        created=_time(data.get("create_time")),
        last_payment_at=last_paid,
        next_billing_at=next_billing,
        **_plan_tax(plan),
    )


def _plan_tax(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's tax (PayPal's `taxes`: a percentage, and whether the price
    includes it; PayPal's default is inclusive)."""
    taxes = plan.get("taxes")
    if not isinstance(taxes, dict):
        return {}
    percentage = taxes.get("percentage")
    if percentage in (None, ""):
        return {}
    return {
        "tax_percentage": Decimal(str(percentage)).normalize() + 0,
        "tax_inclusive": bool(taxes.get("inclusive", True)),
    }
