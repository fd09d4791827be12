"""The Celery application: `celery -A hub worker` consumes tasks from Redis.

With no REDIS_URL the settings make every task run eagerly in-process, so the
embedded demo needs no broker and no worker.
"""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_up_pdf(**kwargs) -> None:
    """A worker that takes the PDF queue imports and warms WeasyPrint once per
    process, before its first task (PDF_WARM_UP=1, as docker-compose.yml's
    pdf worker sets); mail and webhook workers skip its ~90 MB."""
    if os.environ.get("PDF_WARM_UP") == "1":
        from billing.pdf import pdf_warm_up

        pdf_warm_up()
