"""Helpers of the browser tests: sign a customer in, ask axe-core, measure."""

from importlib import import_module

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import RequestFactory

from magiclinks.sessions import customer_login

# The two screens of issue 13: a laptop and a common phone.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def browser_sign_in(page, live_server, customer) -> None:
    """Sign `customer` in as a redeemed access link would, by handing the
    browser the session cookie (independent of the access pages)."""
    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    customer_login(request, customer=customer)
    request.session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": request.session.session_key,
                "url": live_server.url,
            }
        ]
    )


# Issue 28: every WCAG 2.0 and 2.1 rule of levels A and AA, and axe's best
# practices, whatever their impact.
WCAG_AA_RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def axe_violations(page) -> list[str]:
    """Every violation axe-core finds on the page with WCAG_AA_RULES, readable."""
    results = Axe().run(page, options=WCAG_AA_RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:6]}"
        for v in results.response["violations"]
    ]


def overflows(page) -> bool:
    """Does the page scroll sideways at its viewport's width?"""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
