"""The access pages' forms work under Referrer-Policy: no-referrer (browsers
then send `Origin: null`) and stay protected against cross-site posts."""

import re

import pytest
from django.test import Client

from .fixtures import access_url


@pytest.fixture
def browser(vendor):
    """A client that enforces CSRF like a real browser session would face."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(vendor.hub_path)
    client.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return client


def post(browser, vendor, *, token=True, **headers):
    data = {"email": "alice@example.com"}
    if token:
        data["csrfmiddlewaretoken"] = browser.token
    return browser.post(access_url(vendor), data, **headers)


def test_a_same_origin_post_with_origin_null_is_accepted(browser, vendor):
    response = post(browser, vendor, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 200
    assert "Check your email" in response.text


def test_a_post_without_the_token_is_refused(browser, vendor):
    assert post(browser, vendor, token=False, HTTP_ORIGIN="null").status_code == 403


def test_a_cross_site_post_with_origin_null_is_refused(browser, vendor):
    response = post(browser, vendor, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403


def test_an_origin_null_post_without_sec_fetch_site_is_refused(browser, vendor):
    # Fails closed: a sandboxed iframe elsewhere also sends Origin: null.
    assert post(browser, vendor, HTTP_ORIGIN="null").status_code == 403


def test_a_post_from_another_origin_is_refused(browser, vendor):
    assert post(browser, vendor, HTTP_ORIGIN="https://evil.example").status_code == 403


def test_the_continue_and_code_forms_are_protected_too(browser, vendor):
    url = f"{vendor.hub_path}access/{'x' * 43}/"
    assert browser.post(url, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert browser.post(url).status_code == 403  # no token
    code = f"{vendor.hub_path}access/code/"
    assert browser.post(code, {"code": "123456"}).status_code == 403
