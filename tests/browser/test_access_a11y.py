"""The pages a person meets before signing in, in Chromium: axe-core finds no
violation of any impact (issue 28), on a desk and on a phone, and none of them
scrolls sideways at 390 px."""

import pytest
from django.core import mail

from tests.magiclinks.fixtures import LINK_RE, _rate_limits_isolated  # noqa: F401
from tests.support.browser import DESKTOP, PHONE, axe_violations, overflows

pytestmark = pytest.mark.browser


def check(page, name: str, failures: dict, viewport: dict, heading: str) -> None:
    assert page.locator("h1").inner_text() == heading, name
    failures[name] = axe_violations(page)
    if viewport is PHONE:
        assert not overflows(page), name


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_access_pages_pass_axe(live_server, browser, alice, settings, viewport):
    settings.HUB_ACCESS_RATE_PER_EMAIL = (1, 3600)
    hub = f"{live_server.url}/northwind/updateinfo/"
    failures: dict[str, list[str]] = {}
    asking = browser.new_context(viewport=viewport)
    page = asking.new_page()

    page.goto(hub)
    check(page, "access form", failures, viewport, "Your account at Northwind Courses")

    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_load_state()
    check(
        page, "access form with an error", failures, viewport, "Your account at Northwind Courses"
    )

    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_load_state()
    check(page, "check your email", failures, viewport, "Check your email")

    link = live_server.url + LINK_RE.search(mail.outbox[-1].body).group(1)
    other = browser.new_context(viewport=viewport).new_page()
    other.goto(link)
    check(other, "continue", failures, viewport, "Sign in to Northwind Courses")
    other.get_by_role("button", name="Continue").click()
    other.wait_for_load_state()
    assert other.locator("h1").inner_text() == "Hello, Alice Adams"
    stranger = browser.new_context(viewport=viewport).new_page()
    stranger.goto(link)
    check(stranger, "used link", failures, viewport, "Your account at Northwind Courses")

    page.goto(hub)
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_load_state()
    check(page, "rate limited", failures, viewport, "Too many attempts")

    page.goto(f"{live_server.url}/nobody/updateinfo/")
    check(page, "unknown account", failures, viewport, "Page not found")
    # A hub's own 404 wears the vendor's header and names it in its title.
    page.goto(f"{hub}no-such-page/")
    check(page, "hub 404", failures, viewport, "Page not found")
    assert page.title() == "Page not found · Northwind Courses"
    assert not any(failures.values()), failures
