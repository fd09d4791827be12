"""Background work of passwordless access. Tasks take ids, load what they
need and call one service; each is safe to run twice (see the services)."""

from celery import shared_task

from billing.models import Customer
from vendors.mail import MAIL_TASK_OPTIONS
from vendors.models import Vendor

from . import services

RETRY = MAIL_TASK_OPTIONS


@shared_task(**RETRY)
def access_link_send_task(
    request_id: str,
    vendor_id: int,
    email: str,
    binding_hash: str,
    ip: str | None,
    next_path: str = "",
    language: str = "",
) -> None:
    # The typed address is the one input that is not an id: looking it up is
    # the task's job, so that the web answer does not depend on it.
    vendor = Vendor.objects.filter(pk=vendor_id).first()
    if vendor is None:
        return
    services.access_link_send(
        request_id=request_id,
        vendor=vendor,
        email=email,
        binding_hash=binding_hash,
        ip=ip,
        next_path=next_path,
        language=language,
    )


@shared_task(**RETRY)
def profile_link_send_task(request_id: str, customer_id: int) -> None:
    customer = Customer.objects.select_related("vendor").filter(pk=customer_id).first()
    if customer is None:
        return
    services.profile_link_send(request_id=request_id, customer=customer)


@shared_task(**RETRY)
def card_link_send_task(
    request_id: str, customer_id: int, ip: str | None, next_path: str, language: str = ""
) -> None:
    customer = Customer.objects.select_related("vendor").filter(pk=customer_id).first()
    if customer is None:
        return
    services.card_link_send(
        request_id=request_id, customer=customer, ip=ip, next_path=next_path, language=language
    )


@shared_task(**RETRY)
def email_change_send_task(
    request_id: str, customer_id: int, new_email: str, language: str = ""
) -> None:
    from .email_changes import email_change_send

    customer = Customer.objects.select_related("vendor").filter(pk=customer_id).first()
    if customer is None:
        return
    email_change_send(
        request_id=request_id, customer=customer, new_email=new_email, language=language
    )


@shared_task(acks_late=True, ignore_result=True)
def access_records_purge_task() -> None:
    """Run daily by Celery beat (CELERY_BEAT_SCHEDULE)."""
    services.access_records_purge()
