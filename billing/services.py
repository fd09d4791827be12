"""Writes of the billing domain. Keyword-only, named <noun>_<verb>."""

import hashlib
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from vendors.formatting import language_pick
from vendors.languages import page_language
from vendors.mail import mail_send

from .audit import audit_record
from .documents.invoices import invoice_issue
from .models import AuditEvent, Customer, Order, Payment, Subscription, normalize_email


def customer_get_or_create(*, vendor, email: str, **details) -> tuple[Customer, bool]:
    """The vendor's customer with this email (in any case), created if new."""
    return vendor.customers.get_or_create(email=normalize_email(email), defaults=details)


# What a customer may change about themselves in the hub directly. The email
# is not among them: it changes through a confirmation link to the new
# address (magiclinks.email_changes), which calls customer_email_change.
PROFILE_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "state",
    "country",
    "company",
)


def customer_update_profile(
    *, customer: Customer, data: dict, request: HttpRequest | None = None
) -> list[str]:
    """Save the customer's own changes to their name and billing address.

    Returns the names of the fields that changed (empty when nothing did: then
    nothing is written, audited or pushed). The email is not changed here
    (see PROFILE_FIELDS). The audit event records which fields changed, not
    their values, so the trail holds little personal data.

    A changed tax ID (`tax_id`, `tax_id_type` in data, checked by the form)
    goes to the processor first: when it refuses, ProcessorError is raised
    and nothing at all is saved.
    """
    changes = {field: data[field] for field in PROFILE_FIELDS if field in data}
    if "tax_id" in data and data["tax_id"] != customer.tax_id:
        from .tax_ids import customer_tax_id_push

        changes |= customer_tax_id_push(
            customer=customer, tax_id=data["tax_id"], tax_id_type=data.get("tax_id_type", "")
        )
    changed = [field for field, value in changes.items() if getattr(customer, field) != value]
    if not changed:
        return []
    for field in changed:
        setattr(customer, field, changes[field])
    with transaction.atomic():
        customer.save(update_fields=[*changed, "updated_at"])
        audit_record(
            vendor=customer.vendor,
            action="profile.updated",
            actor=AuditEvent.Actor.CUSTOMER,
            customer=customer,
            request=request,
            details={"fields": changed},
        )
    # Only what was committed is pushed, and only once it is committed.
    transaction.on_commit(lambda: customer_sync_to_processor(customer=customer, fields=changed))
    return changed


def customer_email_change(*, customer: Customer, new_email: str, request=None) -> bool:
    """Make a confirmed change of the customer's email; False when another
    customer of the vendor has that address (then nothing changes).

    Audited with the previous address (support must be able to trace who
    changed it from what), pushed to the processor and told to the previous
    address, both after commit.
    """
    from .selectors import customer_email_taken

    previous = customer.email
    new = normalize_email(new_email)
    if new == previous:
        return True
    if customer_email_taken(customer=customer, email=new):
        return False
    customer.email = new
    try:
        with transaction.atomic():
            customer.save(update_fields=["email", "updated_at"])
            audit_record(
                vendor=customer.vendor,
                action="profile.updated",
                actor=AuditEvent.Actor.CUSTOMER,
                customer=customer,
                request=request,
                details={"fields": ["email"], "previous_email": previous},
            )
    except IntegrityError:  # taken between the check and the save
        customer.refresh_from_db()
        return False
    from .tasks import customer_email_changed_notify_task

    transaction.on_commit(lambda: customer_sync_to_processor(customer=customer, fields=["email"]))
    transaction.on_commit(
        partial(
            customer_email_changed_notify_task.delay, customer.pk, previous, page_language(request)
        )
    )
    return True


def customer_language_set(*, customer: Customer, language: str) -> None:
    """Store the language the customer chose in the hub's menu: their pages,
    emails (and documents, when the vendor issues them in the customer's
    language) speak it from now on, on any device. `language` is one the
    vendor offers (the caller's form checked it)."""
    if customer.language == language:
        return
    # An UPDATE of one column: save() would write every field back, and the
    # row's payment_count is the database triggers' (see Customer.save).
    Customer.objects.filter(pk=customer.pk, vendor=customer.vendor).update(language=language)
    customer.language = language


def customer_email_changed_notify(
    *, customer: Customer, previous_email: str, language: str = ""
) -> None:
    """Tell the old address that the account's email changed.

    The email is what signs a customer in: whoever changes it takes the
    account. If that was not the customer (a shared computer, a session left
    open), the old address is where they will read it.
    """
    mail_send(
        vendor=customer.vendor,
        to=previous_email,
        template="email_changed",
        language=language_pick(customer.vendor, customer.language, language),
        context={"customer": customer},
    )


def customer_sync_to_processor(*, customer: Customer, fields: list[str]) -> None:
    """Push a customer's changed details to their processor records, so that
    receipts and invoices there match the hub.

    Called after the local change is committed; the push runs in a task with
    retries, so a processor outage never loses or delays the local change.
    Only Stripe keeps a customer record we can write to (PayPal payers own
    their details at PayPal).
    """
    synced = {"name", "email", "address_line1", "address_line2", "city", "postal_code"}
    synced |= {"state", "country"}
    if not customer.stripe_customer_id or not synced.intersection(fields):
        return
    from .tasks import customer_sync_task

    transaction.on_commit(partial(customer_sync_task.delay, customer.pk))


def customer_push_to_processor(*, customer: Customer) -> None:
    """Write the customer's current name, email and address to their Stripe
    customer. Idempotent: it sends the whole current state, under a key
    made from that state, so a retried or repeated push changes nothing more.
    Raises ProcessorError."""
    from .processors.adapters import adapter_for
    from .processors.adapters.base import Address

    adapter = adapter_for(vendor=customer.vendor, processor="stripe")
    state = [customer.name, customer.email, *customer_address_fields(customer)]
    key = hashlib.sha256("\x1f".join(state).encode()).hexdigest()[:32]
    adapter.customer_update(
        customer_id=customer.stripe_customer_id,
        name=customer.name,
        email=customer.email,
        address=Address(*customer_address_fields(customer)),
        idempotency_key=f"hub-sync-{customer.pk}-{key}",
    )


def customer_address_fields(customer: Customer) -> list[str]:
    return [
        customer.address_line1,
        customer.address_line2,
        customer.city,
        customer.postal_code,
        customer.state,
        customer.country,
    ]


def customer_sync_failed(*, customer: Customer, error) -> None:
    """The push gave up: keep a trace where support looks (the audit log)."""
    audit_record(
        vendor=customer.vendor,
        action="customer.sync_failed",
        actor=AuditEvent.Actor.PROCESSOR,
        customer=customer,
        details={"processor": "stripe", "code": error.code, "detail": error.detail[:300]},
    )


def order_create(
    *,
    customer: Customer,
    number: str,
    product: str,
    amount: Decimal,
    currency: str,
    status: str,
    processor: str,
    created_at: datetime,
    subscription: Subscription | None = None,
    processor_ref: str = "",
) -> Order:
    return Order.objects.create(
        vendor=customer.vendor,
        customer=customer,
        number=number,
        product=product,
        amount=amount,
        currency=currency,
        status=status,
        processor=processor,
        processor_ref=processor_ref,
        subscription=subscription,
        created_at=created_at,
    )


@transaction.atomic
def payment_record(
    *,
    order: Order,
    amount: Decimal,
    status: str,
    created_at: datetime,
    subscription: Subscription | None = None,
    failure_message: str = "",
    processor_ref: str = "",
    card_brand: str = "",
    card_last4: str = "",
    issue_invoice: bool = True,
) -> Payment:
    """Record one charge attempt; a paid one is invoiced in the same transaction.

    `issue_invoice=False` leaves that to the caller, for one that records a
    past history out of date order (the demo seed) and must then number the
    invoices in date order itself."""
    paid = status in {Payment.Status.PAID, Payment.Status.REFUNDED}
    payment = Payment.objects.create(
        vendor=order.vendor,
        customer=order.customer,
        order=order,
        subscription=subscription,
        amount=amount,
        currency=order.currency,
        status=status,
        created_at=created_at,
        paid_at=created_at if paid else None,
        failed_at=created_at if status == Payment.Status.FAILED else None,
        failure_message=failure_message,
        processor=order.processor,
        processor_ref=processor_ref,
        card_brand=card_brand,
        card_last4=card_last4,
    )
    if paid and issue_invoice:
        invoice_issue(payment=payment)
    return payment
