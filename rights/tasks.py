"""Background work of the public pages. Tasks take ids, call one service and
are safe to run twice (the services claim their effects in the database)."""

from celery import shared_task

from vendors.mail import MAIL_TASK_OPTIONS
from vendors.retries import DURABLE_TASK_OPTIONS

from . import cancellations
from .models import CancellationDeclaration


def _declaration(pk: int) -> CancellationDeclaration | None:
    return CancellationDeclaration.objects.select_related("vendor").filter(pk=pk).first()


@shared_task(ignore_result=True, **DURABLE_TASK_OPTIONS)
def declaration_process_task(declaration_id: int) -> None:
    """Carry out a stored cancellation, or open a request for the vendor."""
    if declaration := _declaration(declaration_id):
        cancellations.declaration_process(declaration=declaration)


@shared_task(ignore_result=True, **MAIL_TASK_OPTIONS)
def declaration_confirm_task(declaration_id: int) -> None:
    if declaration := _declaration(declaration_id):
        cancellations.declaration_confirm_send(declaration=declaration)


@shared_task(ignore_result=True, **MAIL_TASK_OPTIONS)
def request_vendor_notify_task(declaration_id: int) -> None:
    if declaration := _declaration(declaration_id):
        cancellations.request_vendor_notify(declaration=declaration)


@shared_task(ignore_result=True, **MAIL_TASK_OPTIONS)
def request_rejected_notify_task(declaration_id: int) -> None:
    if declaration := _declaration(declaration_id):
        cancellations.request_rejected_notify(declaration=declaration)


def _withdrawal(pk: int):
    from .models import WithdrawalDeclaration

    return WithdrawalDeclaration.objects.select_related("vendor").filter(pk=pk).first()


@shared_task(ignore_result=True, **DURABLE_TASK_OPTIONS)
def withdrawal_process_task(declaration_id: int) -> None:
    from .withdrawals import withdrawal_process

    if declaration := _withdrawal(declaration_id):
        withdrawal_process(declaration=declaration)


@shared_task(ignore_result=True, **MAIL_TASK_OPTIONS)
def withdrawal_confirm_task(declaration_id: int) -> None:
    from .withdrawals import withdrawal_confirm_send

    if declaration := _withdrawal(declaration_id):
        withdrawal_confirm_send(declaration=declaration)


@shared_task(ignore_result=True, **MAIL_TASK_OPTIONS)
def withdrawal_vendor_notify_task(declaration_id: int) -> None:
    from .withdrawals import withdrawal_vendor_notify

    if declaration := _withdrawal(declaration_id):
        withdrawal_vendor_notify(declaration=declaration)


@shared_task(acks_late=True, ignore_result=True)
def declarations_sweep_task() -> None:
    """Periodic (CELERY_BEAT_SCHEDULE): queue what declarations still wait for."""
    cancellations.declarations_sweep()


@shared_task(acks_late=True, ignore_result=True)
def reminders_task() -> None:
    """Daily (CELERY_BEAT_SCHEDULE): record and queue the reminders due."""
    from .reminders import reminders_record

    reminders_record()


@shared_task(ignore_result=True, **MAIL_TASK_OPTIONS)
def reminder_send_task(reminder_id: int) -> None:
    from .models import Reminder
    from .reminders import reminder_send

    reminder = (
        Reminder.objects.select_related("vendor", "subscription__customer")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is not None:
        reminder_send(reminder=reminder)
