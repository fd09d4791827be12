"""Processor adapters and the registry that builds one for a vendor.

    adapter = adapter_for(vendor=vendor, processor="stripe")

The SDK modules are imported lazily, so that a page that never talks to a
processor never pays for importing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import MESSAGE_NOT_CONNECTED, Adapter, ProcessorError

if TYPE_CHECKING:
    from vendors.models import Vendor

    from .stripe import StripeAdapter


def _stripe(vendor: Vendor, limited: bool) -> Adapter:
    from .stripe import StripeAdapter

    if not vendor.stripe_secret_key:
        raise ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected")
    limiter = None
    if limited:
        from billing.processors.rate_limits import stripe_rate_limiter

        limiter = stripe_rate_limiter(secret_key=vendor.stripe_secret_key)
    return StripeAdapter(secret_key=vendor.stripe_secret_key, limiter=limiter)


def _paypal(vendor: Vendor, limited: bool) -> Adapter:
    from .paypal import PayPalAdapter

    if not (vendor.paypal_client_id and vendor.paypal_client_secret):
        raise ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected")
    limiter = None
    if limited:
        from billing.processors.rate_limits import paypal_rate_limiter

        limiter = paypal_rate_limiter(client_id=vendor.paypal_client_id)
    return PayPalAdapter(
        client_id=vendor.paypal_client_id,
        client_secret=vendor.paypal_client_secret,
        sandbox=vendor.paypal_environment == "sandbox",
        limiter=limiter,
    )


REGISTRY = {"stripe": _stripe, "paypal": _paypal}


def adapter_for(*, vendor: Vendor, processor: str, limited: bool = False) -> Adapter:
    """The adapter for `processor`, connected with `vendor`'s credentials.

    `limited`: every call first takes a token from the account's shared
    bucket (billing.processors.rate_limits) and honours a 429's Retry-After;
    the webhook path, which a renewal day fills, asks for it.

    Raises ProcessorError(code="not_connected") when the vendor has not
    connected that processor, or for a processor with no adapter (manual).
    """
    factory = REGISTRY.get(processor)
    if factory is None:
        raise ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected")
    return factory(vendor, limited)


def stripe_adapter_for(*, vendor: Vendor) -> StripeAdapter:
    """The vendor's Stripe adapter, typed as such: for the Stripe-only
    operations (SetupIntents, payment methods, prices) that PayPal has no
    counterpart for."""
    from .stripe import StripeAdapter

    adapter = adapter_for(vendor=vendor, processor="stripe")
    assert isinstance(adapter, StripeAdapter)
    return adapter
