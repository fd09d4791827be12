"""Services down (issue 12, point 7): each test stops talking to a real
service by pointing at a dead port or at a socket that never answers."""

import json
import socket
import threading
from smtplib import SMTPException

import pytest
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings as django_settings

from billing.tasks import customer_email_changed_notify_task
from hub.celery import app as celery_app
from magiclinks.tasks import (
    access_link_send_task,
    email_change_send_task,
    profile_link_send_task,
)
from tests.magiclinks.fixtures import access_url
from tests.support.celery_conf import celery_conf_set
from tests.support.subprocesses import clean_env, run_python
from tests.support.tasks import diagnostic_email_send

DEAD = "127.0.0.1:1"  # nothing listens on port 1
MAIL_TASKS = [
    access_link_send_task,
    profile_link_send_task,
    email_change_send_task,
    customer_email_changed_notify_task,
    diagnostic_email_send,
]


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word (a database
    that hangs): only a timeout ends a wait on it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def test_the_access_form_answers_503_when_redis_is_down(client, vendor, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "hub.redis_cache.HubRedisCache",  # the shipped backend
            "LOCATION": f"redis://{DEAD}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.post(access_url(vendor), {"email": "alice@example.com"})
    assert response.status_code == 503
    assert "Try again in a minute" in response.text
    assert response["Retry-After"] == "60"
    # Nothing was half-done: no binding cookie, so nothing to lose.
    assert "hub_access" not in response.cookies


READYZ_TIMED = """
import django, json, time
django.setup()
from django.test import Client
started = time.monotonic()
response = Client().get("/readyz")
seconds = time.monotonic() - started
body = json.loads(response.content)
print(json.dumps({"status": response.status_code, "seconds": seconds, "down": body["down"]}))
"""


def test_readyz_answers_503_within_2_seconds_when_the_database_and_redis_hang(
    tmp_path, silent_server
):
    # Production defaults (pool on, its 5 s timeout, 3 s connect timeout):
    # clean_env drops any override from this run's environment.
    env = clean_env(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent_server}/hub",
        REDIS_URL=f"redis://127.0.0.1:{silent_server}/0",
    )
    result = run_python(READYZ_TIMED, env=env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["down"] == ["database", "redis"]
    # The one wall-clock bound of the unit suite, loose on purpose: it tells
    # the checks' own short timeouts (about 2 s on an idle machine, 2.7 s
    # seen on a loaded one) from waiting on the database pool's 5 s, which is
    # what an outage would otherwise cost every readiness probe.
    assert answer["seconds"] < 4.5, answer


def test_the_database_connect_timeout_is_a_few_seconds():
    show = "import tests.settings as s; print(s.DATABASES['default']['OPTIONS']['connect_timeout'])"
    env = clean_env(DJANGO_SETTINGS_MODULE="tests.settings", DATABASE_URL=f"postgres://x@{DEAD}/h")
    result = run_python(show, env=env)
    assert result.returncode == 0, result.stderr
    assert 1 <= int(result.stdout.strip()) <= 5


@pytest.mark.parametrize("task", MAIL_TASKS, ids=lambda t: t.name)
def test_every_mail_task_retries_with_backoff_for_at_least_6_hours(task):
    assert issubclass(ConnectionRefusedError, task.autoretry_for)
    assert issubclass(SMTPException, task.autoretry_for)
    delays = [
        get_exponential_backoff_interval(
            factor=task.retry_backoff, retries=n, maximum=task.retry_backoff_max, full_jitter=False
        )
        for n in range(task.max_retries)
    ]
    assert delays[:3] == [1, 2, 4]  # exponential
    assert sum(delays) >= 6 * 60 * 60
    assert task.retry_jitter is False


def test_a_mail_task_retries_against_a_dead_smtp_server(alice, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = DEAD.split(":")[0], int(DEAD.split(":")[1])
    settings.EMAIL_TIMEOUT = 2
    tries = []
    real_retry = customer_email_changed_notify_task.retry

    def counting_retry(*args, **kwargs):
        tries.append(kwargs.get("countdown"))
        return real_retry(*args, **kwargs)

    # Counts the retries of the real task against the real (dead) port.
    monkeypatch.setattr(customer_email_changed_notify_task, "retry", counting_retry)
    monkeypatch.setattr(customer_email_changed_notify_task, "max_retries", 3)
    # Eager mode re-applies each retry at once; keep the failure in the result.
    propagates = celery_app.conf.task_eager_propagates
    celery_conf_set(celery_app, task_eager_propagates=False)
    try:
        result = customer_email_changed_notify_task.apply(
            args=(alice.pk, "old@example.com"), throw=False
        )
    finally:
        celery_conf_set(celery_app, task_eager_propagates=propagates)
    assert result.failed()
    assert isinstance(result.result, ConnectionRefusedError)
    # Three retries, each later than the one before, then the last error.
    assert tries == [1, 2, 4, 8]


def test_a_killed_workers_task_comes_back_within_minutes_not_an_hour():
    options = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert 60 <= options["visibility_timeout"] <= 15 * 60
    assert django_settings.CELERY_TASK_ACKS_LATE is True
    assert django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
