"""Helpers and fixtures of the access tests, shared with the browser tests."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

LINK_RE = re.compile(r"https?://[^/\s]+(/[a-z0-9-]+/updateinfo/access/[A-Za-z0-9_-]{40,}/)")
CODE_RE = re.compile(r"(?m): (\d{6})$")


def rate_limits_clear() -> None:
    """Forget every counter of this test run, and only of this run: the Redis
    database may be shared with the broker or with other runs."""
    options = settings.CACHES["default"]
    prefix = options.get("KEY_PREFIX", "")
    if options["BACKEND"].endswith("RedisCache") and prefix:
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _rate_limits_isolated():
    rate_limits_clear()
    yield
    rate_limits_clear()


@pytest.fixture
def clock(monkeypatch):
    """Move the app's clock (django.utils.timezone.now) forward."""
    real_now = timezone.now

    class Clock:
        offset = timedelta()

        def advance(self, **delta) -> None:
            self.offset += timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + moved.offset)
    return moved


def access_url(vendor) -> str:
    return f"{vendor.hub_path}access/"


def request_access(client, vendor, email: str, capture=None, **extra):
    """POST the access form; with `capture` (django_capture_on_commit_callbacks)
    the queued task runs, as it would after the request's commit."""
    data = {"email": email, **extra}
    if capture is None:
        return client.post(access_url(vendor), data)
    with capture(execute=True):
        return client.post(access_url(vendor), data)


def last_email_to(address: str):
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, f"no email to {address}"
    return sent[-1]


def link_path(message) -> str:
    """The path of the access link in an email's text part."""
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def code_of(message) -> str:
    match = CODE_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def signed_in(client, vendor):
    """The customer whose dashboard the hub root shows this client, or None."""
    response = client.get(vendor.hub_path)
    return getattr(response.wsgi_request, "customer", None)


def is_signed_in(client, vendor, name: str) -> bool:
    customer = signed_in(client, vendor)
    return customer is not None and customer.name == name
