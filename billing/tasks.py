"""Background work of the billing domain. Tasks take ids, call one service,
and are safe to run twice (acks_late: a worker lost mid-task means a rerun)."""

from celery import shared_task

from vendors.mail import MAIL_TASK_OPTIONS

from .invoices import invoice_pdf_ensure
from .models import Customer, Invoice
from .services import customer_email_changed_notify


@shared_task(acks_late=True, ignore_result=True)
def invoice_pdf_render_task(invoice_id: int) -> None:
    """Render and store an invoice's PDF, unless it is stored already."""
    invoice = Invoice.objects.select_related("payment", "vendor").filter(pk=invoice_id).first()
    if invoice is None:  # deleted since it was queued: nothing to render
        return
    invoice_pdf_ensure(invoice=invoice)


@shared_task(ignore_result=True, **MAIL_TASK_OPTIONS)
def customer_email_changed_notify_task(customer_id: int, previous_email: str) -> None:
    """Send the "your email was changed" notice to the previous address."""
    customer = Customer.objects.select_related("vendor").filter(pk=customer_id).first()
    if customer is None:
        return
    customer_email_changed_notify(customer=customer, previous_email=previous_email)
