"""A worker killed mid-task does not lose the task (issue 12, point 7).

With Redis as broker an unacknowledged (acks_late) message comes back only
after the transport's visibility_timeout (kombu's default: an hour). Here a
real worker is SIGKILLed while it runs a task, a second worker starts, and
the task must run again and complete. The timeout is made 3 s, and the
workers' scan for such tasks 1 s, through the environment variables
production reads (CELERY_VISIBILITY_TIMEOUT, CELERY_UNACKED_RESTORE_INTERVAL).
The second worker starts at once, before the timeout has passed: its scan
at start-up finds nothing, so only the periodic scan can bring the task back."""

import signal
import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings

from hub.celery import app
from tests.conftest import ROOT
from tests.support.celery_conf import celery_conf_set
from tests.support.subprocesses import clean_env

TASK = "tests.support.redelivery.block_on_first_delivery"
GIVE_UP_AFTER = 30  # seconds for each wait: a bound, not a measurement


def start_worker(queue: str, name: str) -> subprocess.Popen:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="tests.settings",
        REDIS_URL=settings.REDIS_URL,
        CELERY_VISIBILITY_TIMEOUT="3",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
    )
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "hub", "worker",
            "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=WARNING", "--include", "tests.support.redelivery",
            "-Q", queue, "-n", f"{name}@%h",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip


def wait_for(condition, what: str, worker: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + GIVE_UP_AFTER
    while not condition():
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited before {what}", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}", pytrace=False)
        time.sleep(0.2)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.kill()
    worker.wait(timeout=10)


@pytest.mark.services
def test_a_task_of_a_killed_worker_is_redelivered_and_completes(redis_url):
    run = uuid.uuid4().hex
    queue, key = f"hub-test-redelivery-{run}", f"hub-test-redelivery:{run}"
    store = redis.Redis.from_url(redis_url)
    first = start_worker(queue, f"first-{run}")
    second = None
    try:
        celery_conf_set(app, task_always_eager=False)  # to the broker, as in production
        try:
            app.send_task(TASK, args=[key], queue=queue)
        finally:
            celery_conf_set(app, task_always_eager=True)
        wait_for(lambda: store.get(f"{key}:deliveries") == b"1", "the first delivery", first)
        first.send_signal(signal.SIGKILL)  # no ack, no reject: the process is gone
        first.wait(timeout=10)
        assert store.get(f"{key}:done") is None
        second = start_worker(queue, f"second-{run}")
        wait_for(lambda: store.get(f"{key}:done") == b"1", "the redelivered task", second)
        assert store.get(f"{key}:deliveries") == b"2"
    finally:
        stop(first)
        if second is not None:
            stop(second)
        # The queue, its kombu bindings and our counters.
        store.delete(f"{key}:deliveries", f"{key}:done", *store.scan_iter(f"*{queue}*"))


def test_the_production_defaults_redeliver_within_minutes_and_are_documented():
    """Redelivery "within minutes, not an hour": five minutes (above the
    longest task) plus at most one scan interval."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["visibility_timeout"] == 5 * 60
    # kombu scans only every `throttle`-th interval (default 10 x 10 s).
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 10
    readme = (ROOT / "README.md").read_text()
    assert "| `CELERY_VISIBILITY_TIMEOUT` |" in readme
    assert "| `CELERY_UNACKED_RESTORE_INTERVAL` |" in readme
