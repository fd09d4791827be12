"""Rate limits on link requests and code tries (issue 3, point 7)."""

import logging

from django.core import mail
from django.test import Client

from tests.factories import CustomerFactory
from tests.support.subprocesses import clean_env, run_python

from .fixtures import access_url, code_of, last_email_to, request_access


def test_the_sixth_request_for_one_address_in_an_hour_gets_a_429(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    for _ in range(5):
        response = request_access(
            client, vendor, "alice@example.com", django_capture_on_commit_callbacks
        )
        assert response.status_code == 200
    response = request_access(
        Client(), vendor, "ALICE@example.com", django_capture_on_commit_callbacks
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Too many attempts" in response.text
    assert "try again in" in response.text
    assert "Northwind Courses" in response.text  # in the hub's look
    assert 'href="/static/hub.css"' in response.text
    assert response["Referrer-Policy"] == "no-referrer"
    assert len(mail.outbox) == 5


def test_an_unknown_address_is_limited_exactly_like_a_known_one(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    def statuses(email):
        return [
            request_access(Client(), vendor, email, django_capture_on_commit_callbacks).status_code
            for _ in range(7)
        ]

    assert statuses("alice@example.com") == statuses("nobody@example.com") == [200] * 5 + [429] * 2


def test_the_address_limit_is_per_vendor(client, vendor, other_vendor):
    for _ in range(5):
        client.post(access_url(vendor), {"email": "alice@example.com"})
    assert client.post(access_url(vendor), {"email": "alice@example.com"}).status_code == 429
    assert client.post(access_url(other_vendor), {"email": "alice@example.com"}).status_code == 200


def test_one_address_cannot_fill_the_limit_of_another(client, vendor):
    for _ in range(6):
        client.post(access_url(vendor), {"email": "mallory@example.com"})
    assert client.post(access_url(vendor), {"email": "alice@example.com"}).status_code == 200


def test_an_ip_may_ask_30_times_in_10_minutes(client, vendor):
    for i in range(30):
        assert client.post(access_url(vendor), {"email": f"p{i}@example.com"}).status_code == 200
    response = client.post(access_url(vendor), {"email": "another@example.com"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    other_ip = client.post(access_url(vendor), {"email": "x@example.com"}, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


def test_the_address_limit_opens_again_after_the_hour(client, vendor, clock):
    for _ in range(5):
        client.post(access_url(vendor), {"email": "a@example.com"})
    response = client.post(access_url(vendor), {"email": "a@example.com"})
    assert response.status_code == 429
    clock.advance(seconds=int(response["Retry-After"]))
    assert client.post(access_url(vendor), {"email": "a@example.com"}).status_code == 200


def test_code_tries_are_limited_per_ip(
    client, vendor, django_capture_on_commit_callbacks, settings
):
    settings.HUB_ACCESS_RATE_PER_IP = (1000, 600)
    customers = [CustomerFactory(vendor=vendor) for _ in range(5)]
    url = f"{vendor.hub_path}access/code/"
    # Twenty tries spread over links (so no code burns), then the limit.
    tries = 0
    for customer in customers:
        request_access(client, vendor, customer.email, django_capture_on_commit_callbacks)
        for _ in range(4):
            assert client.post(url, {"code": "000000"}).status_code == 200
            tries += 1
    assert tries == 20
    request_access(client, vendor, customers[0].email, django_capture_on_commit_callbacks)
    code = code_of(last_email_to(customers[0].email))
    response = client.post(url, {"code": code})
    assert response.status_code == 429
    assert "Too many attempts" in response.text


def test_repeated_429s_are_logged_at_info_not_warning(client, vendor, settings, caplog):
    settings.HUB_ACCESS_RATE_PER_IP = (1, 600)
    client.post(access_url(vendor), {"email": "a@example.com"})
    with caplog.at_level("INFO"):
        for _ in range(3):
            assert client.post(access_url(vendor), {"email": "b@example.com"}).status_code == 429
    limited = [r for r in caplog.records if "Rate limited" in r.getMessage()]
    assert [r.levelname for r in limited] == ["INFO"] * 3
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_rate_limits_come_from_the_environment(tmp_path):
    code = "import tests.settings as s; print(s.HUB_ACCESS_RATE_PER_IP, s.HUB_CODE_RATE_PER_IP)"
    env = clean_env(HUB_ACCESS_RATE_PER_IP="100/60", DJANGO_SETTINGS_MODULE="tests.settings")
    result = run_python(code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(100, 60) (20, 600)"
    bad = run_python(code, env={**env, "HUB_ACCESS_RATE_PER_IP": "lots"})
    assert bad.returncode != 0 and "HUB_ACCESS_RATE_PER_IP" in bad.stderr
