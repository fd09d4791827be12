"""Background work of the billing domain. Tasks take ids, call one service,
and are safe to run twice (acks_late: a worker lost mid-task means a rerun).

Tasks import their services here, at the top; a service that enqueues a task
imports it inside the function (tests/test_import_rules.py), so the two never
form an import circle. Every task is named explicitly: the name is what queued
messages, ScheduledRetry rows, CELERY_TASK_ROUTES and the beat schedule hold,
so moving a task to another module must not change it
(tests/billing/test_task_names.py)."""

import logging
import random
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from vendors.mail import MAIL_TASK_OPTIONS
from vendors.retries import DATABASE_ERRORS, DURABLE_TASK_OPTIONS

from .cancellation import (
    subscription_canceled_notify,
    subscription_kept_notify,
    subscription_period_end_finalize,
    subscriptions_due_for_finalizing,
)
from .cards import card_updated_notify
from .documents.credit_notes import credit_note_pdf_ensure
from .documents.invoices import invoice_pdf_ensure
from .documents.receipts import (
    payment_failed_notify,
    receipt_batch_add,
    receipt_enqueue,
    receipts_send,
    receipts_send_failed,
    receipts_sweep,
)
from .models import (
    AuditEvent,
    CreditNote,
    Customer,
    Invoice,
    Payment,
    StripeImport,
    Subscription,
)
from .processors.adapters.base import ProcessorError
from .processors.object_reads import ObjectBusy
from .processors.rate_limits import RateLimited
from .processors.stripe_import import ImportInterrupted, ImportRefused, stripe_import_run
from .processors.webhooks import (
    webhook_bodies_purge,
    webhook_event_claim,
    webhook_event_failed,
    webhook_event_process,
    webhook_events_sweep,
)
from .services import (
    customer_email_changed_notify,
    customer_push_to_processor,
    customer_sync_failed,
)

logger = logging.getLogger(__name__)


@shared_task(
    name="billing.tasks.invoice_pdf_render_task", ignore_result=True, **DURABLE_TASK_OPTIONS
)
def invoice_pdf_render_task(invoice_id: int, receipt_payment_id: int | None = None) -> None:
    """Render and store an invoice's PDF, unless it is stored already; then,
    for a vendor that attaches it, put the payment's receipt in the batch."""
    invoice = Invoice.objects.select_related("payment", "vendor").filter(pk=invoice_id).first()
    if invoice is None:  # deleted since it was queued: nothing to render
        return
    invoice_pdf_ensure(invoice=invoice)
    if receipt_payment_id is not None:
        payment = Payment.objects.filter(pk=receipt_payment_id).first()
        if payment is not None:
            receipt_batch_add(payment=payment)


@shared_task(
    name="billing.tasks.customer_email_changed_notify_task", ignore_result=True, **MAIL_TASK_OPTIONS
)
def customer_email_changed_notify_task(
    customer_id: int, previous_email: str, language: str = ""
) -> None:
    """Send the "your email was changed" notice to the previous address."""
    customer = Customer.objects.select_related("vendor").filter(pk=customer_id).first()
    if customer is None:
        return
    customer_email_changed_notify(
        customer=customer, previous_email=previous_email, language=language
    )


@shared_task(
    name="billing.tasks.customer_sync_task", bind=True, ignore_result=True, **DURABLE_TASK_OPTIONS
)
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


@shared_task(
    name="billing.tasks.subscription_canceled_notify_task", ignore_result=True, **MAIL_TASK_OPTIONS
)
def subscription_canceled_notify_task(subscription_id: int, language: str = "") -> None:
    """The cancellation confirmation email (product, time, effective date)."""
    if subscription := _subscription(subscription_id):
        subscription_canceled_notify(subscription=subscription, language=language)


@shared_task(
    name="billing.tasks.subscription_kept_notify_task", ignore_result=True, **MAIL_TASK_OPTIONS
)
def subscription_kept_notify_task(audit_event_id: int, language: str = "") -> None:
    """The "you kept your subscription" email, for the Keep recorded as this
    audit event."""
    event = (
        AuditEvent.objects.select_related("subscription__vendor", "subscription__customer")
        .filter(pk=audit_event_id, action="subscription.cancel_undone")
        .first()
    )
    if event is not None:
        subscription_kept_notify(event=event, language=language)


@shared_task(name="billing.tasks.card_updated_notify_task", ignore_result=True, **MAIL_TASK_OPTIONS)
def card_updated_notify_task(subscription_id: int, language: str = "") -> None:
    if subscription := _subscription(subscription_id):
        card_updated_notify(subscription=subscription, language=language)


@shared_task(name="billing.tasks.subscriptions_finalize_task", acks_late=True, ignore_result=True)
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


# --- webhooks, receipts, retention ------------------------------------------------------


@shared_task(
    name="billing.tasks.webhook_event_process_task",
    bind=True,
    ignore_result=True,
    **DURABLE_TASK_OPTIONS,
)
def webhook_event_process_task(self, event_id: int) -> None:
    """Process a stored webhook event (routed to the `webhooks` queue).

    Retried with backoff (30 s doubling, capped at an hour) while it fails;
    after WEBHOOK_MAX_RETRIES the event is left `failed` with its error for
    staff to see in the admin. Safe to run twice: a processed event is skipped
    and processing itself is idempotent.
    """
    event = webhook_event_claim(event_id=event_id)
    if event is None:
        return
    try:
        webhook_event_process(event=event)
    except (RateLimited, ObjectBusy) as wait:
        if not self.request.is_eager:
            # Not a failure: the processor's rate limit (or another worker
            # on the same customer) asks us to wait. The event goes back to
            # the queue with the same failure count, so a renewal day's
            # waits never use up the retries meant for real errors.
            jitter = random.uniform(1.0, 1.5)  # noqa: S311 - spreads the returns, no secret
            countdown = getattr(wait, "retry_after", 1.0) * jitter
            self.apply_async(
                (event_id,),
                countdown=min(countdown, settings.TASK_RETRY_BROKER_MAX_DELAY),
                retries=self.request.retries,
            )
            logger.info("webhook event %s: %s, queued again", event_id, wait.code)
            return
        _webhook_event_retry(self, event, wait)
    except Exception as error:  # noqa: BLE001 - any failure is stored and retried
        _webhook_event_retry(self, event, error)


def _webhook_event_retry(task, event, error: Exception) -> None:
    """Store the failure; retry with backoff unless it was the last try."""
    event_id = event.pk
    message = error.detail or error.message if isinstance(error, ProcessorError) else ""
    message = message or f"{type(error).__name__}: {error}"
    final = task.request.retries >= settings.WEBHOOK_MAX_RETRIES
    try:
        webhook_event_failed(event=event, error=message, final=final)
    except DATABASE_ERRORS:
        # The database that failed the processing may fail this too:
        # the retry below must still happen (and the sweep, see
        # webhook_events_sweep, catches an event whose task died).
        logger.warning("webhook event %s: failure not recorded (database)", event_id)
    logger.warning("webhook event %s failed (%s)", event_id, type(error).__name__)
    if not final:
        raise task.retry(
            countdown=min(3600, 30 * 2**task.request.retries),
            max_retries=settings.WEBHOOK_MAX_RETRIES,
        ) from None


@shared_task(
    name="billing.tasks.payment_receipt_task",
    bind=True,
    ignore_result=True,
    **{**DURABLE_TASK_OPTIONS, "max_retries": 10},
)
def payment_receipt_task(self, payment_id: int) -> None:
    """The receipt of a newly paid payment: into the batch that
    receipts_send_task sends (sent at once without Redis); sent once
    (receipt_sent_at)."""
    try:
        receipt_enqueue(payment_id=payment_id)
    except OSError as error:  # the mail server (sent at once): try again later
        raise self.retry(countdown=min(3600, 60 * 2**self.request.retries)) from error


@shared_task(name="billing.tasks.receipts_send_task", ignore_result=True, **DURABLE_TASK_OPTIONS)
def receipts_send_task() -> None:
    """Send the batched receipts, oldest payment first, several per mail
    connection. A mail server that fails is given time (1 s doubling to an
    hour) and receipts_sweep_task starts the next sender: the receipts wait
    in the batch, not in retries of this task."""
    try:
        receipts_send()
    except (SMTPException, OSError) as error:
        receipts_send_failed(error)


@shared_task(name="billing.tasks.receipts_sweep_task", acks_late=True, ignore_result=True)
def receipts_sweep_task() -> None:
    """Periodic (RECEIPT_SWEEP_SECONDS): batched receipts always get a sender."""
    receipts_sweep()


@shared_task(
    name="billing.tasks.payment_failed_notify_task",
    bind=True,
    ignore_result=True,
    **{**DURABLE_TASK_OPTIONS, "max_retries": 10},
)
def payment_failed_notify_task(self, payment_id: int) -> None:
    try:
        payment_failed_notify(payment_id=payment_id)
    except OSError as error:
        raise self.retry(countdown=min(3600, 60 * 2**self.request.retries)) from error


@shared_task(name="billing.tasks.webhook_events_sweep_task", acks_late=True, ignore_result=True)
def webhook_events_sweep_task() -> None:
    """Periodic (WEBHOOK_SWEEP_SECONDS): an event we answered 2xx for is
    processed, even when its queueing or its task failed."""
    webhook_events_sweep()


@shared_task(name="billing.tasks.webhook_bodies_purge_task", acks_late=True, ignore_result=True)
def webhook_bodies_purge_task() -> None:
    """Periodic: drop raw webhook bodies past their retention, keep the rows."""
    webhook_bodies_purge()


@shared_task(
    name="billing.tasks.credit_note_pdf_render_task", ignore_result=True, **DURABLE_TASK_OPTIONS
)
def credit_note_pdf_render_task(credit_note_id: int) -> None:
    credit_note = CreditNote.objects.select_related("vendor", "invoice").filter(pk=credit_note_id)
    if found := credit_note.first():
        credit_note_pdf_ensure(credit_note=found)


@shared_task(name="billing.tasks.stripe_import_task", acks_late=True, ignore_result=True)
def stripe_import_task(run_id: int) -> None:
    """The Stripe import started from the admin; progress and the outcome are
    kept on the StripeImport row, which the admin shows."""
    run = StripeImport.objects.select_related("vendor").filter(pk=run_id).first()
    if run is None or run.status == StripeImport.Status.DONE:
        return
    try:
        stripe_import_run(run=run)
    except ImportRefused as refused:
        logger.warning("Stripe import %s refused: %s", run_id, refused)
    except ImportInterrupted:
        logger.warning("Stripe import %s interrupted; resume it from the admin", run_id)
    except ProcessorError as error:
        StripeImport.objects.filter(pk=run_id).update(
            status=StripeImport.Status.FAILED, error=error.message
        )
