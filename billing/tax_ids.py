"""A customer's tax ID at their processor.

Unlike name and address (pushed by a task after the local save, with
retries), a tax ID is pushed first and saved only when Stripe took it: Stripe
may refuse a number our checks passed (it knows more about some types), and
a refusal must reach the customer as a message next to the field while
nothing changes, here or at Stripe. The form has checked the number
(vendors.tax_ids) before we get here: an invalid one is never sent.

PayPal has no customer tax IDs (its payers own their details at PayPal): a
PayPal customer's tax ID is stored in the hub only, for their invoices.
"""

from __future__ import annotations

import hashlib
import logging

from django.utils.translation import gettext_lazy as _

from .models import Customer
from .processors.adapters.base import ProcessorError

MESSAGE_TAX_ID_REFUSED = _(
    "The payment processor did not accept this tax ID. Nothing was changed; please check "
    "the number, or contact the seller."
)

logger = logging.getLogger(__name__)

# Stripe's verification statuses (https://docs.stripe.com/api/tax_ids/object
# #tax_id_object-verification-status) that we keep and show.
VERIFICATION_STATUSES = ("verified", "pending", "unverified", "unavailable")


def customer_tax_id_push(*, customer: Customer, tax_id: str, tax_id_type: str) -> dict[str, str]:
    """Give the customer's processor record the new tax ID (or none) and
    return the customer's fields to save: tax_id, tax_id_type,
    stripe_tax_id, tax_id_verification. Changes nothing locally.

    The new tax ID is created before the old one is deleted, so a refusal of
    the new one leaves the old in place; should the delete fail, the new one
    is taken back. Raises ProcessorError (its message is for the customer).
    """
    fields = {
        "tax_id": tax_id,
        "tax_id_type": tax_id_type if tax_id else "",
        "stripe_tax_id": "",
        "tax_id_verification": "",
    }
    if not customer.stripe_customer_id:
        # PayPal customers (and customers of no processor): kept locally only.
        return fields
    from .processors.adapters import adapter_for

    adapter = adapter_for(vendor=customer.vendor, processor="stripe")
    created = None
    if tax_id:
        state = f"{customer.pk}\x1f{tax_id_type}\x1f{tax_id}\x1f{customer.stripe_tax_id}"
        key = hashlib.sha256(state.encode()).hexdigest()[:32]
        try:
            created = adapter.customer_tax_id_create(
                customer_id=customer.stripe_customer_id,
                type=tax_id_type,
                value=tax_id,
                idempotency_key=f"hub-tax-id-{key}",
            )
        except ProcessorError as error:
            raise _readable(error) from None
        status = created.verification
        fields |= {
            "stripe_tax_id": created.id,
            "tax_id_verification": status if status in VERIFICATION_STATUSES else "",
        }
    if customer.stripe_tax_id:
        try:
            adapter.customer_tax_id_delete(
                customer_id=customer.stripe_customer_id, tax_id_id=customer.stripe_tax_id
            )
        except ProcessorError:
            if created is not None:
                _take_back(adapter, customer=customer, tax_id_id=created.id)
            raise
    return fields


def customer_tax_id_refresh(*, vendor, adapter, customer_id: str, tax_id_id: str) -> None:
    """Keep the verification status Stripe now reports for a customer's tax
    ID (after `customer.tax_id.updated`; the event is only a hint, the tax
    ID is read again). A tax ID the customer has replaced since, or one
    Stripe no longer has, changes nothing."""
    try:
        remote = adapter.customer_tax_id_get(customer_id=customer_id, tax_id_id=tax_id_id)
    except ProcessorError as error:
        if error.code == "not_found":
            return
        raise
    status = remote.verification if remote.verification in VERIFICATION_STATUSES else ""
    Customer.objects.filter(
        vendor=vendor, stripe_customer_id=customer_id, stripe_tax_id=tax_id_id
    ).update(tax_id_verification=status)


def _readable(error: ProcessorError) -> ProcessorError:
    """A refusal of the tax ID itself (Stripe's `tax_id_invalid`, or a
    customer Stripe no longer has) says so; an outage keeps its message."""
    if error.retryable or error.code in ("not_connected", "unavailable", "network"):
        return error
    return ProcessorError(MESSAGE_TAX_ID_REFUSED, code=error.code, detail=error.detail)


def _take_back(adapter, *, customer: Customer, tax_id_id: str) -> None:
    try:
        adapter.customer_tax_id_delete(customer_id=customer.stripe_customer_id, tax_id_id=tax_id_id)
    except ProcessorError as error:
        # Stripe now has the old and the new tax ID; the hub keeps the old.
        # Support sees this in the logs; the customer can simply try again.
        logger.warning(
            "customer %s: could not take back tax ID %s (%s)", customer.pk, tax_id_id, error.code
        )
