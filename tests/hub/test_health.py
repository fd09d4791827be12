"""Health probes: /healthz while the process runs; /readyz 200 when the
database (and Redis, when configured) answer, else 503 naming what is down.

The "down" cases run Django in a child process pointed at closed ports: a
real unreachable service, no mocks."""

import json

import pytest
from django.conf import settings

from tests.support.subprocesses import clean_env, run_python

CLOSED = "127.0.0.1:1"  # nothing listens on port 1

READYZ = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": json.loads(response.content)}))
"""


def readyz_in_a_child(tmp_path, **env) -> tuple[int, dict]:
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'ready.sqlite3'}")
    result = run_python(READYZ, env=clean_env(DJANGO_SETTINGS_MODULE="tests.settings", **env))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["status"], answer["body"]


def test_healthz_answers_200_without_touching_the_database(client):
    # No `db` fixture: pytest-django makes any query here an error.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_readyz_is_200_when_the_database_answers(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert body["database"] == "ok"
    assert ("redis" in body) == bool(settings.REDIS_URL)
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.services
def test_readyz_checks_redis_when_it_is_configured(client, db, redis_url):
    body = client.get("/readyz").json()
    assert body["redis"] == "ok"


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(tmp_path):
    status, body = readyz_in_a_child(
        tmp_path, DATABASE_URL=f"postgres://postgres@{CLOSED}/hub", DATABASE_POOL="false"
    )
    assert status == 503
    assert body == {"status": "down", "down": ["database"], "database": "down"}


def test_readyz_is_503_with_the_connection_pool_too(tmp_path):
    # The production configuration, pool and its timeouts as shipped: the
    # probe answers 503, not 500.
    status, body = readyz_in_a_child(tmp_path, DATABASE_URL=f"postgres://postgres@{CLOSED}/hub")
    assert status == 503
    assert body["down"] == ["database"]


def test_readyz_is_503_naming_redis_when_it_is_unreachable(tmp_path):
    status, body = readyz_in_a_child(tmp_path, REDIS_URL=f"redis://{CLOSED}/0")
    assert status == 503
    assert body == {"status": "down", "down": ["redis"], "database": "ok", "redis": "down"}


def test_readyz_names_both_when_both_are_down(tmp_path):
    status, body = readyz_in_a_child(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@{CLOSED}/hub",
        DATABASE_POOL="false",
        REDIS_URL=f"redis://{CLOSED}/0",
    )
    assert status == 503
    assert body["down"] == ["database", "redis"]


def test_readyz_is_200_in_a_child_with_both_up_when_services_run(tmp_path, redis_url):
    # The control for the cases above: the same child, pointed at live services.
    status, body = readyz_in_a_child(tmp_path, REDIS_URL=redis_url)
    assert (status, body["down"]) == (200, [])


def test_probes_answer_over_plain_http_when_everything_else_redirects(client, db, settings):
    # Load balancers probe over HTTP; production redirects every other path.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    response = client.get("/demo/updateinfo/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/demo/updateinfo/"
