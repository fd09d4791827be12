"""The vendor API's security items of issue 21: the profile-links cooldown
(point 7), no-store on a sign-in URL, failed authentications limited per IP
and logged, and a JSON 413 (point 10)."""

import json
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import AuditEvent
from tests.magiclinks.fixtures import rate_limits_clear
from vendors.api_keys import api_key_create

HUB_LINKS = "/api/v1/hub-links"
PROFILE_LINKS = "/api/v1/profile-links"


@pytest.fixture(autouse=True)
def _rate_limits_isolated():
    rate_limits_clear()
    yield
    rate_limits_clear()


@pytest.fixture
def key(vendor):
    return api_key_create(vendor=vendor, name="Website")[1]


def post(client, path, body, key=None, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)


def test_profile_links_respect_the_send_profile_link_cooldown(
    client, alice, key, django_capture_on_commit_callbacks
):
    body = {"email": "alice@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, PROFILE_LINKS, body, key).status_code == 202
        refused = [post(client, PROFILE_LINKS, body, key) for _ in range(5)]
    for response in refused:
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json()["error"] == "rate_limited"
        assert "moments ago" in response.json()["message"]
        assert 1 <= int(response["Retry-After"]) <= 300
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="access.profile_link_sent").count() == 1
    # The cooldown runs from the recorded send: move it 301 s into the past.
    AuditEvent.objects.filter(action="access.profile_link_sent").update(
        created_at=timezone.now() - timedelta(seconds=301)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, PROFILE_LINKS, body, key).status_code == 202
    assert len(mail.outbox) == 2


def test_the_cooldown_counts_a_link_sent_from_the_admin(
    staff_client, client, alice, key, django_capture_on_commit_callbacks
):
    staff_client.post(f"/admin/billing/customer/{alice.pk}/send-profile-link/", {"confirm": "yes"})
    assert AuditEvent.objects.filter(action="access.profile_link_sent").count() == 1
    response = post(client, PROFILE_LINKS, {"email": "alice@example.com"}, key)
    assert response.status_code == 429


def test_a_hub_link_answer_is_never_stored_by_a_cache(client, alice, key):
    response = post(client, HUB_LINKS, {"email": "alice@example.com"}, key)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"


def test_failed_authentications_are_limited_per_ip_and_logged(client, alice, key, settings, caplog):
    settings.HUB_API_AUTH_FAILURES_PER_IP = (3, 600)
    body = {"email": "alice@example.com"}
    with caplog.at_level(logging.INFO, logger="hub.api"):
        for n in range(3):
            response = post(client, HUB_LINKS, body, f"hub_0000000{n}_" + "x" * 43)
            assert response.status_code == 401
        refused = post(client, HUB_LINKS, body, "hub_00000009_" + "x" * 43)
        # Past the limit even a good key from that address waits.
        good = post(client, HUB_LINKS, body, key)
    assert refused.status_code == good.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "failed authentications" in refused.json()["message"]
    assert 1 <= int(refused["Retry-After"]) <= 600
    failures = [r for r in caplog.records if "API authentication failed" in r.getMessage()]
    assert len(failures) == 3 and all(r.levelno == logging.WARNING for r in failures)
    assert "127.0.0.1" in failures[0].getMessage()
    # Another address is not held up.
    other = post(client, HUB_LINKS, body, key, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 201


def test_successes_and_a_missing_header_are_not_counted(client, alice, key, settings):
    settings.HUB_API_AUTH_FAILURES_PER_IP = (1, 600)
    body = {"email": "alice@example.com"}
    for _ in range(3):
        assert post(client, HUB_LINKS, body, key).status_code == 201
        assert post(client, HUB_LINKS, body).status_code == 401
    assert post(client, HUB_LINKS, body, key).status_code == 201


def test_a_body_too_large_is_a_json_413(client, alice, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"email": "alice@example.com", "padding": "x" * 20_000}
    response = post(client, HUB_LINKS, body, key)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["error"] == "too_large"
    assert "too large" in response.json()["message"]
