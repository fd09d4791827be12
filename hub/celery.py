"""The Celery application: `celery -A hub worker` consumes tasks from Redis.

With no REDIS_URL the settings make every task run eagerly in-process, so the
embedded demo needs no broker and no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
