"""The client address behind a proxy (issue 12, point 1)."""

import re
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from billing.models import AuditEvent
from magiclinks.services import profile_link_send
from tests.magiclinks.fixtures import access_url, last_email_to, link_path
from vendors.clientip import client_ip, client_ip_key, trusted_proxies

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.9.0.2"


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_it_ignores_x_forwarded_for_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    assert _ip("203.0.113.5", "198.51.100.1") == "203.0.113.5"


def test_it_ignores_x_forwarded_for_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    assert _ip("203.0.113.5", "198.51.100.1") == "203.0.113.5"


def test_it_takes_the_right_most_untrusted_hop_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24", "192.0.2.0/28"]
    assert _ip(PROXY, "198.51.100.1") == "198.51.100.1"
    # The client wrote its own "1.2.3.4" in front: it is left of the real hop.
    assert _ip(PROXY, "1.2.3.4, 198.51.100.1") == "198.51.100.1"
    # Two proxies of ours in a row are skipped.
    assert _ip(PROXY, "1.2.3.4, 198.51.100.1, 192.0.2.3") == "198.51.100.1"
    assert _ip(PROXY, "[2001:db8::7]:4711") == "2001:db8::7"


def test_it_falls_back_to_the_proxy_on_a_missing_or_malformed_header(settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    assert _ip(PROXY) == PROXY
    assert _ip(PROXY, "not-an-ip, 198.51.100.1") == PROXY


def test_it_refuses_a_trusted_proxy_that_is_not_a_cidr(settings):
    settings.TRUSTED_PROXIES = ["proxy.internal"]
    with pytest.raises(ImproperlyConfigured):
        trusted_proxies()


def test_it_keys_ipv6_per_64():
    assert client_ip_key("2001:db8:1:2:aaaa::1") == client_ip_key("2001:db8:1:2:ffff::9")
    assert client_ip_key("2001:db8:1:3::1") != client_ip_key("2001:db8:1:2::1")
    assert client_ip_key("198.51.100.1") == "198.51.100.1"


def test_one_abuser_behind_the_proxy_does_not_lock_out_everyone(vendor, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    settings.HUB_ACCESS_RATE_PER_IP = (3, 600)
    abuser, other = Client(REMOTE_ADDR=PROXY), Client(REMOTE_ADDR=PROXY)
    for i in range(3):
        response = abuser.post(
            access_url(vendor), {"email": f"a{i}@example.com"}, HTTP_X_FORWARDED_FOR="198.51.100.66"
        )
        assert response.status_code == 200
    # Rotating a forged left-most entry does not get a fresh bucket.
    response = abuser.post(
        access_url(vendor),
        {"email": "b@example.com"},
        HTTP_X_FORWARDED_FOR="5.6.7.8, 198.51.100.66",
    )
    assert response.status_code == 429
    response = other.post(
        access_url(vendor), {"email": "c@example.com"}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 200


def test_an_ipv6_abuser_cannot_rotate_addresses_inside_a_64(vendor, settings):
    settings.HUB_ACCESS_RATE_PER_IP = (3, 600)
    client = Client()
    statuses = [
        client.post(
            access_url(vendor), {"email": f"a{i}@example.com"}, REMOTE_ADDR=f"2001:db8:5:6::{i + 1}"
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_the_audit_trail_records_the_client_not_the_proxy(vendor, alice, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.23")
    profile_link_send(request_id=str(uuid.uuid4()), customer=alice)
    client.post(link_path(last_email_to(alice.email)))
    assert AuditEvent.objects.get(action="access.redeemed").ip == "198.51.100.23"


def test_compose_publishes_no_gunicorn_port_and_trusts_only_the_proxy_network():
    compose = (ROOT / "docker-compose.yml").read_text()
    web = compose.split("\n  web:\n", 1)[1].split("\n  worker:\n", 1)[0]
    assert "ports:" not in web
    assert '"--forwarded-allow-ips", "*"' not in compose
    assert re.search(r"TRUSTED_PROXIES: \S+", compose)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"--forwarded-allow-ips", "*"' not in dockerfile
