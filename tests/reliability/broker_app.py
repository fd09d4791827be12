"""A bare Celery app on the lab's Redis for test_worker_survives_broker:
no Django, the hub's broker settings that matter (late acks, prefetch 1,
the transport options), one task that takes a while."""

import os
import time

from celery import Celery

app = Celery("broker_probe", broker=os.environ.get("PROBE_BROKER_URL", "memory://"))
app.conf.task_acks_late = True
app.conf.task_reject_on_worker_lost = True
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True
app.conf.broker_transport_options = {
    "visibility_timeout": 30,
    "unacked_restore_interval": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}


@app.task(name="probe.slow")
def slow(seconds: float, tag: str) -> str:
    time.sleep(seconds)
    return tag
