import io
import logging
import secrets

import pytest

from hub import gunicorn_conf
from hub.log_filters import RedactAccessTokens
from tests.support.urls import routes


@pytest.fixture
def console():
    """What the configured console handler writes, for the length of a test."""
    handler = next(
        h
        for h in logging.getLogger("django").handlers
        if any(isinstance(f, RedactAccessTokens) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_token_in_a_404_path_never_reaches_the_log(client, vendor, console):
    token = secrets.token_urlsafe(32)
    assert client.get(f"/nobody/updateinfo/access/{token}/").status_code == 404
    written = console.getvalue()
    assert "Not Found: /nobody/updateinfo/access/[redacted]/" in written
    assert token not in written


def test_a_token_refused_by_csrf_never_reaches_the_log(vendor, console):
    from django.test import Client

    token = secrets.token_urlsafe(32)
    response = Client(enforce_csrf_checks=True).post(f"/northwind/updateinfo/access/{token}/")
    assert response.status_code == 403
    written = console.getvalue()
    assert "/updateinfo/access/[redacted]/" in written
    assert token not in written


def test_it_leaves_other_paths_alone():
    record = logging.LogRecord(
        "x", logging.INFO, "", 0, "GET %s", ("/demo/updateinfo/access/code/",), None
    )
    RedactAccessTokens().filter(record)
    assert record.getMessage() == "GET /demo/updateinfo/access/code/"


def mask(path: str) -> str:
    record = logging.LogRecord("x", logging.INFO, "", 0, "GET %s", (path,), None)
    RedactAccessTokens().filter(record)
    return record.getMessage()


def test_every_url_with_a_token_is_masked():
    """Generated from the URLconf: a new URL with a <token> is covered."""
    token = secrets.token_urlsafe(32)
    with_token = [r for r in routes() if "token" in r.parameters]
    assert {"hub:access_link", "hub:api_link", "hub:email_confirm"} <= {r.name for r in with_token}
    for route in with_token:
        values = {name: "abc" for name in route.parameters} | {"token": token}
        path = route.path(**values)
        assert token not in mask(path), route.name
        # And gunicorn's access log, which shares the pattern.
        assert token not in gunicorn_conf._mask(path), route.name


def test_the_owner_password_page_after_the_redirect_is_left_alone():
    assert mask("/admin/welcome/MQ/set-password/") == "GET /admin/welcome/MQ/set-password/"
