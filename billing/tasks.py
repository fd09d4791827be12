"""Background work of the billing domain. Tasks take ids, call one service,
and are safe to run twice (acks_late: a worker lost mid-task means a rerun)."""

import logging

from celery import shared_task
from django.conf import settings

from .adapters.base import ProcessorError
from .cancellation import (
    subscription_canceled_notify,
    subscription_period_end_finalize,
    subscriptions_due_for_finalizing,
)
from .cards import card_updated_notify
from .invoices import invoice_pdf_ensure
from .models import Customer, Invoice, Subscription
from .services import (
    customer_email_changed_notify,
    customer_push_to_processor,
    customer_sync_failed,
)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def invoice_pdf_render_task(invoice_id: int) -> None:
    """Render and store an invoice's PDF, unless it is stored already."""
    invoice = Invoice.objects.select_related("payment", "vendor").filter(pk=invoice_id).first()
    if invoice is None:  # deleted since it was queued: nothing to render
        return
    invoice_pdf_ensure(invoice=invoice)


@shared_task(acks_late=True, ignore_result=True)
def customer_email_changed_notify_task(customer_id: int, previous_email: str) -> None:
    """Send the "your email was changed" notice to the previous address."""
    customer = Customer.objects.select_related("vendor").filter(pk=customer_id).first()
    if customer is None:
        return
    customer_email_changed_notify(customer=customer, previous_email=previous_email)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def customer_sync_task(self, customer_id: int) -> None:
    """Push the customer's current details to Stripe; retried with backoff,
    and written to the audit log when it gives up."""
    customer = Customer.objects.select_related("vendor").filter(pk=customer_id).first()
    if customer is None or not customer.stripe_customer_id:
        return
    try:
        customer_push_to_processor(customer=customer)
    except ProcessorError as error:
        if error.retryable and self.request.retries < settings.PROCESSOR_SYNC_MAX_RETRIES:
            raise self.retry(countdown=min(3600, 30 * 2**self.request.retries)) from error
        logger.warning("customer %s: push to Stripe failed (%s)", customer_id, error.code)
        customer_sync_failed(customer=customer, error=error)


def _subscription(subscription_id: int) -> Subscription | None:
    return (
        Subscription.objects.select_related("vendor", "customer").filter(pk=subscription_id).first()
    )


@shared_task(acks_late=True, ignore_result=True)
def subscription_canceled_notify_task(subscription_id: int) -> None:
    """The cancellation confirmation email (product, time, effective date)."""
    if subscription := _subscription(subscription_id):
        subscription_canceled_notify(subscription=subscription)


@shared_task(acks_late=True, ignore_result=True)
def card_updated_notify_task(subscription_id: int) -> None:
    if subscription := _subscription(subscription_id):
        card_updated_notify(subscription=subscription)


@shared_task(acks_late=True, ignore_result=True)
def subscriptions_finalize_task() -> None:
    """Periodic: end the subscriptions whose customers cancelled them for the
    end of a period that has now passed. One failure does not stop the rest;
    the next run tries it again."""
    for subscription_id in subscriptions_due_for_finalizing().values_list("pk", flat=True):
        subscription = _subscription(subscription_id)
        if subscription is None:
            continue
        try:
            subscription_period_end_finalize(subscription=subscription)
        except ProcessorError as error:
            logger.warning("subscription %s: finalizing failed (%s)", subscription_id, error.code)
