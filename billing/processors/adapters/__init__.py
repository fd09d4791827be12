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


def _stripe(vendor: Vendor) -> Adapter:
    from .stripe import StripeAdapter

    if not vendor.stripe_secret_key:
        raise ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected")
    return StripeAdapter(secret_key=vendor.stripe_secret_key)


def _paypal(vendor: Vendor) -> Adapter:
    from .paypal import PayPalAdapter

    if not (vendor.paypal_client_id and vendor.paypal_client_secret):
        raise ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected")
    return PayPalAdapter(
        client_id=vendor.paypal_client_id,
        client_secret=vendor.paypal_client_secret,
        sandbox=vendor.paypal_environment == "sandbox",
    )


REGISTRY = {"stripe": _stripe, "paypal": _paypal}


def adapter_for(*, vendor: Vendor, processor: str) -> Adapter:
    """The adapter for `processor`, connected with `vendor`'s credentials.

    Raises ProcessorError(code="not_connected") when the vendor has not
    connected that processor, or for a processor with no adapter (manual).
    """
    factory = REGISTRY.get(processor)
    if factory is None:
        raise ProcessorError(MESSAGE_NOT_CONNECTED, code="not_connected")
    return factory(vendor)


def stripe_adapter_for(*, vendor: Vendor) -> StripeAdapter:
    """The vendor's Stripe adapter, typed as such: for the Stripe-only
    operations (SetupIntents, payment methods, prices) that PayPal has no
    counterpart for."""
    from .stripe import StripeAdapter

    adapter = adapter_for(vendor=vendor, processor="stripe")
    assert isinstance(adapter, StripeAdapter)
    return adapter
