"""Point 6 of issue 20: the worker survives its broker. A prefork worker
(the pool docker-compose and `make worker` run) holding a task when Redis
goes away must reconnect when Redis is back and consume again. Celery 5.7.0
exits instead ("Unrecoverable error: AttributeError: 'NoneType' object has
no attribute 'hostname'": after connection.collect() its new
on_connection_error_after_connected closes the connection a second time, and
the channel's restore of unacknowledged messages asks a transport whose
client is already gone for its hostname); 5.6.3 reconnects. pyproject pins
celery below 5.7 until a release passes this test.

Needs only redis-server: a bare Celery app (broker_app.py), no Django."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .lab import ROOT, OwnRedis, wait_for

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server") and not os.environ.get("REQUIRE_SERVICES"),
    reason="needs redis-server",
)
CELERY = str(Path(sys.executable).parent / "celery")


def _send(env: dict, seconds: float, tag: str) -> None:
    subprocess.run(
        [sys.executable, "-c",
         f"from tests.reliability.broker_app import slow; slow.delay({seconds}, {tag!r})"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def test_a_prefork_worker_holding_a_task_survives_redis_going_away():
    workdir = Path(tempfile.mkdtemp(prefix="hub-broker-"))
    redis = OwnRedis(workdir)
    redis.start()
    env = {**os.environ, "PROBE_BROKER_URL": redis.url}
    log_path = workdir / "worker.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [CELERY, "-A", "tests.reliability.broker_app", "worker", "--pool=prefork", "-c", "2",
         "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )  # fmt: skip

    def text() -> str:
        return log_path.read_text(errors="replace")

    def succeeded(tag: str) -> bool:
        return re.search(rf"probe\.slow\[[^\]]+\] succeeded in [^:]+: '{tag}'", text()) is not None

    try:
        wait_for(lambda: " ready." in text(), timeout=60, what="the worker")
        _send(env, 6, "held")
        wait_for(lambda: "probe.slow[" in text(), timeout=30, what="the task received")
        time.sleep(1)  # the task runs in a pool process; the main one waits on BRPOP
        redis.stop()
        time.sleep(5)
        redis.start()
        # Back: the held task finishes (or is handed out again), and the
        # worker takes new work.
        wait_for(lambda: succeeded("held"), timeout=90, interval=1, what="the held task")
        _send(env, 0, "after")
        wait_for(
            lambda: succeeded("after") or worker.poll() is not None,
            timeout=90,
            interval=1,
            what="a task sent after the outage",
        )
        assert worker.poll() is None, f"the worker exited ({worker.returncode}):\n{text()[-3000:]}"
        assert succeeded("after"), text()[-3000:]
        assert "Unrecoverable error" not in text()
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
        log.close()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
