"""Every outage answers 503, from any middleware or view, and no request
waits without limit (issue 20, points 4 and 5)."""

import json
import uuid

import pytest
from django.db import connection, connections
from django.test import Client

from tests.magiclinks.fixtures import access_url
from tests.support.subprocesses import clean_env, run_python


@pytest.fixture
def vendor_table_locked(transactional_db):
    """The vendors table locked by another session (a migration, a stuck
    transaction) and this session's lock_timeout at 100 ms: the vendor
    lookup, in VendorMiddleware.process_view, fails as it would in
    production when the timeout fires."""
    other = connections.create_connection("default")
    other.set_autocommit(False)
    with other.cursor() as cursor:
        cursor.execute("LOCK TABLE vendors_vendor IN ACCESS EXCLUSIVE MODE")
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    yield
    other.rollback()
    other.close()
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outage_in_a_middleware_is_a_503_with_retry_after(
    postgres, vendor, vendor_table_locked, method
):
    client = Client(raise_request_exception=False)
    response = getattr(client, method)(
        access_url(vendor) if method == "post" else vendor.hub_path, {"email": "a@example.com"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Try again in a minute" in response.text  # the page, not plain text
    assert response["Cache-Control"] == "no-store"


def test_a_real_error_outside_a_view_is_still_a_500(db, vendor, monkeypatch):
    from vendors import selectors

    def broken(**kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr("hub.middleware.vendor_for_slug", broken)
    assert selectors  # the real one is untouched
    response = Client(raise_request_exception=False).get(vendor.hub_path)
    assert response.status_code == 500


SHOW_LIMITS = (
    "import django; django.setup();"
    "from django.conf import settings as s;"
    "print(s.DATABASES['default']['OPTIONS']['options'])"
)


@pytest.mark.parametrize(
    ("process", "statement", "lock"),
    [("web", 5000, 2000), ("worker", 60000, 10000), ("command", 1800000, 60000)],
)
def test_statement_and_lock_timeouts_are_short_for_requests_and_longer_for_tasks(
    process, statement, lock
):
    env = clean_env(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/hub",
        HUB_PROCESS=process,
    )
    result = run_python(SHOW_LIMITS, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"-c statement_timeout={statement} -c lock_timeout={lock}"


def test_the_timeouts_are_configurable_per_process():
    env = clean_env(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/hub",
        HUB_PROCESS="web",
        DATABASE_STATEMENT_TIMEOUT_WEB="1500",
        DATABASE_LOCK_TIMEOUT_WEB="500",
    )
    result = run_python(SHOW_LIMITS, env=env)
    assert result.stdout.strip() == "-c statement_timeout=1500 -c lock_timeout=500"


def test_the_web_and_worker_entry_points_say_what_they_are():
    show = (
        "import os, sys; sys.argv = [{argv!r}]; import {module};"
        "print(os.environ.get('HUB_PROCESS', 'command'))"
    )
    env = clean_env(DJANGO_SETTINGS_MODULE="tests.settings")
    web = run_python(show.format(argv="gunicorn", module="hub.wsgi"), env=env)
    worker = run_python(show.format(argv="/venv/bin/celery", module="hub.celery"), env=env)
    assert (web.stdout.strip(), worker.stdout.strip()) == ("web", "worker"), web.stderr


def test_gunicorn_outlasts_the_statement_timeout_and_serves_health_beside_slow_pages():
    from hub import gunicorn_conf

    assert gunicorn_conf.preload_app is True
    assert gunicorn_conf.worker_class == "gthread" and gunicorn_conf.threads >= 2
    assert gunicorn_conf.timeout * 1000 > 5000 * 2


def test_readyz_names_the_queues_no_worker_consumes(db, redis_url, settings):
    import redis

    from hub.celery import WORKER_HEARTBEAT_KEY

    # Queues of this test's own: a worker another test started consumes the
    # run's real queues and keeps their heartbeats fresh.
    own = f"hub-test-readyz-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = own
    settings.CELERY_PDF_QUEUE = f"{own}-pdf"
    settings.CELERY_WEBHOOKS_QUEUE = f"{own}-webhooks"
    client = redis.Redis.from_url(redis_url)
    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_PDF_QUEUE]
    keys = [WORKER_HEARTBEAT_KEY.format(queue=queue) for queue in queues]
    client.delete(*keys)
    try:
        body = json.loads(Client().get("/readyz").content)
        assert settings.CELERY_TASK_DEFAULT_QUEUE in body["queues_without_worker"]
        client.set(keys[0], "worker@test", ex=30)
        body = json.loads(Client().get("/readyz").content)
        assert settings.CELERY_TASK_DEFAULT_QUEUE not in body["queues_without_worker"]
        assert settings.CELERY_WEBHOOKS_QUEUE in body["queues_without_worker"]
    finally:
        client.delete(*keys)
