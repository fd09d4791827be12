"""The access flows in Chromium (issue 3): the same browser clicks its link,
another browser presses Continue, a third types the code."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.magiclinks.fixtures import (  # noqa: F401
    _rate_limits_isolated,
    code_of,
    last_email_to,
    link_path,
)

pytestmark = pytest.mark.browser


def ask_for_access(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/northwind/updateinfo/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def expect_hub_of_alice(page, base_url: str) -> None:
    expect(page).to_have_url(f"{base_url}/northwind/updateinfo/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Adams")
    expect(page.locator('form[action="/northwind/updateinfo/access/"]')).to_have_count(0)


def test_the_same_browser_signs_in_with_one_click(live_server, page, alice):
    ask_for_access(page, live_server.url, "alice@example.com")
    path = link_path(last_email_to("alice@example.com"))
    page.goto(live_server.url + path)
    expect_hub_of_alice(page, live_server.url)
    assert "/access/" not in page.url  # the token left the address bar
    assert len(mail.outbox) == 1


def test_another_browser_signs_in_after_continue(live_server, page, browser, alice):
    ask_for_access(page, live_server.url, "alice@example.com")
    path = link_path(last_email_to("alice@example.com"))
    other = browser.new_context()
    try:
        phone = other.new_page()
        phone.goto(live_server.url + path)
        expect(phone.get_by_role("button", name="Continue")).to_be_visible()
        phone.wait_for_timeout(300)  # nothing submits it by itself
        assert re.search(r"/access/[A-Za-z0-9_-]{40,}/$", phone.url)
        phone.get_by_role("button", name="Continue").click()
        expect_hub_of_alice(phone, live_server.url)
    finally:
        other.close()
    # The browser that asked is not signed in by the other one's click.
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    expect(page.get_by_label("Email")).to_be_visible()


def test_the_code_signs_in_the_browser_that_asked(live_server, page, alice):
    ask_for_access(page, live_server.url, "alice@example.com")
    code = code_of(last_email_to("alice@example.com"))
    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Sign in with the code").click()
    expect_hub_of_alice(page, live_server.url)


def test_an_invalid_email_is_explained_next_to_the_field(live_server, page, vendor):
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    page.get_by_label("Email").fill("alice@")
    page.get_by_role("button", name="Email me a sign-in link").click()
    field = page.get_by_label("Email")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("alice@")
    expect(page.locator("#id_email_error")).to_contain_text("complete email address")


def test_sign_out_ends_the_session_and_says_so(live_server, page, alice):
    ask_for_access(page, live_server.url, "alice@example.com")
    page.goto(live_server.url + link_path(last_email_to("alice@example.com")))
    expect_hub_of_alice(page, live_server.url)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    expect(page.get_by_label("Email")).to_be_visible()
