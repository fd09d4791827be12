"""A task for the tests of the task pipeline itself: it reads no tenant data,
so a test can prove a worker takes tasks from the broker and sends mail
without seeding anything. The test settings import it (CELERY_IMPORTS);
production never loads it."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from vendors.mail import MAIL_TASK_OPTIONS


@shared_task(**MAIL_TASK_OPTIONS)
def diagnostic_email_send(to: str) -> None:
    """Send a plain diagnostic email to `to`.

    It proves end to end that a worker takes tasks from the broker and can
    send mail; it reads no tenant data, so it is safe to run twice.
    """
    send_mail(
        subject="Customer Hub diagnostic",
        message=f"The task pipeline works. Sent by a worker at {timezone.now().isoformat()}.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[to],
    )
