"""The real-worker test: a `celery -A hub worker` subprocess takes a task from
Redis and sends mail through the file backend. Needs PostgreSQL and Redis."""

import time

import pytest
from django.core import mail
from django.db import transaction

from tests.support.tasks import diagnostic_email_send


def wait_for_files(folder, *, timeout: float = 20.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(folder.iterdir())
        if files:
            return files
        time.sleep(0.1)
    return []


@pytest.mark.services
def test_it_sends_mail_from_a_worker_subprocess_after_commit(celery_worker):
    # (That nothing is enqueued before the commit is tested where our code
    # enqueues: tests/magiclinks/test_access_form.py.)
    with transaction.atomic():
        transaction.on_commit(lambda: diagnostic_email_send.delay("ops@example.com"))

    files = wait_for_files(celery_worker.mail_dir)
    assert files, "the worker wrote no mail within 20 s"
    text = files[0].read_text()
    assert "To: ops@example.com" in text
    assert "Subject: Customer Hub diagnostic" in text
    # The test process itself sent nothing: the worker did.
    assert mail.outbox == []
    assert celery_worker.process.poll() is None


def test_it_runs_tasks_eagerly_without_a_worker():
    # The embedded default: no broker, the task runs in-process at once.
    diagnostic_email_send.delay("ops@example.com")
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]


def test_pdf_renders_go_to_their_own_queue_and_mail_to_the_default_one(settings):
    """A burst of renders must never hold up mail: they are routed apart."""
    from billing.tasks import customer_email_changed_notify_task, invoice_pdf_render_task
    from hub.celery import app

    def queue_of(task) -> str:
        return app.amqp.router.route({}, task.name)["queue"].name

    assert queue_of(invoice_pdf_render_task) == settings.CELERY_PDF_QUEUE
    assert queue_of(customer_email_changed_notify_task) == settings.CELERY_TASK_DEFAULT_QUEUE
    assert settings.CELERY_PDF_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
