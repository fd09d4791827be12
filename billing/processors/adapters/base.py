"""What the rest of the code knows about payment processors.

Adapters (`stripe.py`, `paypal.py`) translate between a processor's SDK and
the dataclasses below; they are the only modules that import a processor
SDK (a test enforces it). Every failure leaves an adapter as one
`ProcessorError`, whose message is safe to show a customer: no ids, keys,
SDK class names or raw processor payloads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _


class ProcessorError(Exception):
    """A processor call that did not do what was asked.

    `message` is for the customer (translated, plain); `retryable` says
    whether the same call may succeed later (network, 5xx, rate limit);
    `code` lets callers tell cases apart without parsing text:
    `card_declined`, `authentication_required`, `not_found`, `refused`,
    `network`, `unavailable`, `not_connected`, `invalid`.
    `detail` is for the logs and the audit trail (never a secret).
    """

    def __init__(
        self, message: Any, *, retryable: bool = False, code: str = "", detail: str = ""
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.retryable = retryable
        self.code = code
        self.detail = detail


# Customer-safe messages shared by the adapters.
MESSAGE_UNAVAILABLE = _(
    "We could not reach the payment processor just now. Nothing was changed; "
    "please try again in a few minutes."
)
MESSAGE_NOT_CONNECTED = _(
    "This seller has not connected this payment processor yet, so this cannot be done "
    "here. Please contact the seller."
)
MESSAGE_REFUSED = _(
    "The payment processor refused this change. Nothing was changed; please contact "
    "the seller, who can sort it out with you."
)
MESSAGE_MISCONFIGURED = _(
    "This seller's connection to the payment processor is set up wrongly, so this cannot "
    "be done just now. Please contact the seller."
)
# PayPal suspends a subscription itself after too many failed payments; it
# cannot be restarted from the hub, only by paying on PayPal.
MESSAGE_PAYPAL_SUSPENDED = _(
    "PayPal stopped this subscription because its payments failed, so it cannot be "
    "restarted from here. Choose “Manage on PayPal” and pay the amount due in your PayPal "
    "account: the subscription then carries on."
)
MESSAGE_NO_REFUNDS = _(
    "This payment processor cannot refund payments from the hub. Nothing was changed; "
    "refund the payment in the processor's own dashboard."
)
MESSAGE_NOT_FOUND = _(
    "The payment processor no longer knows this subscription. Nothing was changed; "
    "please contact the seller."
)


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    state: str = ""
    country: str = ""  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class CardSummary:
    brand: str = ""
    last4: str = ""
    exp_month: int | None = None
    exp_year: int | None = None
    payment_method_id: str = ""


@dataclass(frozen=True)
class ProcessorCustomer:
    id: str
    email: str = ""
    name: str = ""
    address: Address | None = None
    default_payment_method_id: str = ""
    livemode: bool = False
    created: datetime | None = None


@dataclass(frozen=True)
class ProcessorTaxId:
    """A customer's tax ID at the processor. `verification` is what the
    processor reported about it ("verified", "pending", "unverified",
    "unavailable"), "" when it reported nothing."""

    id: str
    type: str
    value: str
    verification: str = ""


@dataclass(frozen=True)
class ProcessorSubscription:
    """A subscription as the processor sees it, in our vocabulary.

    `status` is one of billing.models.Subscription.Status's values.
    """

    id: str
    customer_id: str
    status: str
    product: str = ""
    # The Stripe product when `product` is not its name yet (a list cannot
    # expand it): the adapter looks the name up once per product.
    product_id: str = ""
    price_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    interval: str = "month"
    interval_count: int = 1
    trial_end: datetime | None = None
    current_period_end: datetime | None = None
    next_payment_at: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    default_payment_method_id: str = ""
    card: CardSummary | None = None
    latest_invoice_id: str = ""
    livemode: bool = False
    created: datetime | None = None
    # The tax the processor adds per the plan (PayPal's plan taxes): its
    # percentage and whether the price includes it; None when there is none.
    tax_percentage: Decimal | None = None
    tax_inclusive: bool = False
    # PayPal's billing_info as it says it: when the last payment was taken and
    # when the next cycle is billed (billing.processors.paypal_sync reads the
    # period a payment pays for from them); None when PayPal gives none.
    last_payment_at: datetime | None = None
    next_billing_at: datetime | None = None


@dataclass(frozen=True)
class ProcessorSetupIntent:
    id: str
    client_secret: str
    status: str
    customer_id: str = ""
    payment_method_id: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class ProcessorRefund:
    id: str
    amount: Decimal
    currency: str
    status: str = ""
    reason: str = ""
    created: datetime | None = None


@dataclass(frozen=True)
class ProcessorCharge:
    id: str
    amount: Decimal
    currency: str
    status: str
    amount_refunded: Decimal = Decimal("0")
    customer_id: str = ""
    # The invoice the charge paid: Stripe's charge no longer names it (API
    # 2025-03-31), the adapter finds it through the payment intent.
    invoice_id: str = ""
    payment_intent_id: str = ""
    created: datetime | None = None
    failure_message: str = ""
    card: CardSummary | None = None
    refunds: list[ProcessorRefund] = field(default_factory=list)
    livemode: bool = False


@dataclass(frozen=True)
class ChargedDiscount:
    """A discount as the processor applied it: the coupon's name and the
    amount it took off (a line's, or the invoice's total for that coupon)."""

    name: str
    amount: Decimal


@dataclass(frozen=True)
class ChargedTax:
    """A tax as the processor charged it, never one we computed: its rate in
    percent, the jurisdiction's label, the amount it was charged on and the
    tax itself, whether the price included it, and the processor's
    taxability reason ("standard_rated", "reverse_charge", ...)."""

    rate: Decimal | None
    label: str
    taxable_amount: Decimal | None
    amount: Decimal
    inclusive: bool = False
    country: str = ""
    state: str = ""
    taxability_reason: str = ""
    # "vat", "sales_tax", "gst", ... (Stripe's tax_type); "" when unknown.
    tax_type: str = ""


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: int
    amount: Decimal
    unit_amount: Decimal | None = None
    # The billing period of a subscription line (dates of the period's first
    # and last moment as the processor states them).
    period_start: datetime | None = None
    period_end: datetime | None = None
    proration: bool = False
    discounts: list[ChargedDiscount] = field(default_factory=list)
    taxes: list[ChargedTax] = field(default_factory=list)


@dataclass(frozen=True)
class ProcessorInvoice:
    id: str
    customer_id: str
    status: str  # draft, open, paid, uncollectible, void
    currency: str
    total: Decimal
    amount_paid: Decimal = Decimal("0")
    amount_due: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    number: str = ""
    subscription_id: str = ""
    # The charge of the invoice's payment (its payment intent's latest
    # charge) and that payment intent.
    charge_id: str = ""
    payment_intent_id: str = ""
    # Stripe's hosted page where the customer pays this invoice themselves
    # (3-D Secure included); "" where the processor gives none.
    hosted_invoice_url: str = ""
    created: datetime | None = None
    paid_at: datetime | None = None
    lines: list[InvoiceLine] = field(default_factory=list)
    livemode: bool = False
    # What the processor charged, as it states it (empty for a charge without
    # an invoice, and for processors that give none of it): the sum of the
    # lines before discounts and exclusive taxes, the invoice's discounts
    # per coupon, its taxes per rate, and the customer's tax IDs as they
    # were printed on the invoice ((type, value) pairs).
    subtotal: Decimal | None = None
    discounts: list[ChargedDiscount] = field(default_factory=list)
    taxes: list[ChargedTax] = field(default_factory=list)
    customer_tax_ids: list[tuple[str, str]] = field(default_factory=list)
    # Stripe's customer_tax_exempt at finalization: "none", "exempt", "reverse".
    customer_tax_exempt: str = ""


@dataclass(frozen=True)
class ProcessorPayer:
    """A PayPal payer (PayPal has no customer object of its own)."""

    id: str
    email: str = ""
    name: str = ""


@dataclass(frozen=True)
class ProcessorEvent:
    """A webhook event whose signature was verified: what it says happened,
    to which object. Processing re-fetches that object rather than trusting
    `data`, which may be stale by the time (or order) it arrives."""

    id: str
    type: str
    created: datetime | None
    livemode: bool
    object_id: str = ""
    object_type: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class WebhookSignatureError(Exception):
    """A webhook body that does not carry a valid, fresh signature. The
    message names the reason for the logs (never the body or a secret)."""


@dataclass(frozen=True)
class WebhookEndpoint:
    """A webhook endpoint registered at the processor (for a connection test)."""

    url: str
    events: list[str] = field(default_factory=list)  # ["*"] is every event
    enabled: bool = True
    id: str = ""


@dataclass(frozen=True)
class ConnectionReport:
    """What a processor said when asked whether a vendor's credentials work.

    `ok` is whether the credentials were accepted; `livemode` whether they
    are live (not test/sandbox) credentials; `webhook_endpoints` the
    endpoints registered there (None when they could not be listed).
    `problem` says plainly, for the vendor, what went wrong when not ok;
    `code` is the ProcessorError code behind it.
    """

    ok: bool
    livemode: bool | None = None
    webhook_endpoints: list[WebhookEndpoint] | None = None
    problem: str = ""
    code: str = ""


@dataclass(frozen=True)
class Page:
    """One page of a list call; `next_cursor` is empty on the last page."""

    items: list[Any]
    next_cursor: str = ""


class Adapter(ABC):
    """The operations every processor offers the hub. A processor that cannot
    do one raises ProcessorError(code="unsupported")."""

    processor: str = ""

    @abstractmethod
    def subscription_get(self, *, subscription_id: str) -> ProcessorSubscription: ...

    @abstractmethod
    def subscription_cancel(
        self, *, subscription_id: str, at_period_end: bool, reason: str = "", idempotency_key: str
    ) -> ProcessorSubscription:
        """Stop the subscription now, or at the end of the paid period."""

    @abstractmethod
    def subscription_finalize_period_end(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        """The paid period of a subscription cancelled for its end is over:
        make sure it has ended at the processor, and return its state."""

    @abstractmethod
    def subscription_cancel_undo(
        self, *, subscription_id: str, idempotency_key: str
    ) -> ProcessorSubscription:
        """Take back a pending end-of-period cancellation."""

    def customer_update(
        self,
        *,
        customer_id: str,
        name: str,
        email: str,
        address: Address | None,
        idempotency_key: str,
    ) -> ProcessorCustomer:
        raise ProcessorError(MESSAGE_REFUSED, code="unsupported")

    def customer_tax_id_create(
        self, *, customer_id: str, type: str, value: str, idempotency_key: str
    ) -> ProcessorTaxId:
        """Give the processor's customer a tax ID (`type` is Stripe's name
        for its kind, e.g. "eu_vat"). PayPal has no customer tax IDs: the hub
        keeps them locally only (billing.tax_ids)."""
        raise ProcessorError(MESSAGE_REFUSED, code="unsupported")

    def customer_tax_id_get(self, *, customer_id: str, tax_id_id: str) -> ProcessorTaxId:
        """A customer's tax ID as the processor has it now."""
        raise ProcessorError(MESSAGE_REFUSED, code="unsupported")

    def customer_tax_id_delete(self, *, customer_id: str, tax_id_id: str) -> None:
        """Remove a tax ID from the processor's customer."""
        raise ProcessorError(MESSAGE_REFUSED, code="unsupported")

    def refund_create(
        self, *, charge_id: str, amount: Decimal | None = None, idempotency_key: str
    ) -> ProcessorRefund:
        """Refund a payment, in full (`amount` None) or in part."""
        raise ProcessorError(MESSAGE_NO_REFUNDS, code="unsupported")

    def manage_payments_url(self, *, subscription_id: str = "") -> str:
        """Where a customer changes their payment method at the processor,
        when that happens there rather than in the hub."""
        return ""

    def iter_all(self, lister, **kwargs) -> Iterator[Any]:
        """Every item of a paged list call, page after page."""
        cursor = ""
        while True:
            page = lister(cursor=cursor, **kwargs)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor
