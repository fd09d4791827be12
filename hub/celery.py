"""The Celery application: `celery -A hub worker` consumes tasks from Redis.

With no REDIS_URL the settings make every task run eagerly in-process, so the
embedded demo needs no broker and no worker.
"""

import os
import sys
import threading
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
# Tasks get longer statement and lock timeouts than requests (settings:
# HUB_PROCESS). Decided by the command that runs, not by this import: every
# process imports this module (hub/__init__.py), gunicorn's too.
if sys.argv and (Path(sys.argv[0]).name == "celery" or sys.argv[0].endswith("celery/__main__.py")):
    os.environ.setdefault("HUB_PROCESS", "worker")

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_up_pdf(**kwargs) -> None:
    """A worker that takes the PDF queue imports and warms WeasyPrint once per
    process, before its first task (PDF_WARM_UP=1, as docker-compose.yml's
    pdf worker sets); mail and webhook workers skip its ~90 MB."""
    if os.environ.get("PDF_WARM_UP") == "1":
        from billing.documents.pdf import pdf_warm_up

        pdf_warm_up()


# --- heartbeat: which queues have a worker --------------------------------------------
# [issue 20] A worker that died (its broker went away, nothing restarted it)
# is invisible to the web: tasks queue up and nobody says so. Each worker's
# main process writes one short-lived Redis key per queue it consumes;
# /readyz lists the queues without one.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
WORKER_HEARTBEAT_KEY = "hub:worker-heartbeat:{queue}"
_heartbeat_stop = threading.Event()


def _heartbeat(url: str, queues: list[str], hostname: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    ttl = max(1, int(WORKER_HEARTBEAT_SECONDS * 3))
    while not _heartbeat_stop.is_set():
        try:
            with client.pipeline() as pipe:
                for queue in queues:
                    pipe.set(WORKER_HEARTBEAT_KEY.format(queue=queue), hostname, ex=ttl)
                pipe.execute()
        except redis.RedisError:
            pass  # the broker is away; the worker's own reconnect logs it
        _heartbeat_stop.wait(WORKER_HEARTBEAT_SECONDS)


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs) -> None:
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    queues = sorted(sender.app.amqp.queues.consume_from or sender.app.amqp.queues)
    _heartbeat_stop.clear()
    threading.Thread(
        target=_heartbeat,
        args=(settings.REDIS_URL, queues, sender.hostname),
        name="hub-heartbeat",
        daemon=True,
    ).start()


@worker_shutdown.connect
def _stop_heartbeat(**kwargs) -> None:
    _heartbeat_stop.set()
