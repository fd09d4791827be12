"""Issue 13's Done-when: axe-core finds no serious or critical issue on any
hub page, at 1280x800 and at 390x844, for each demo customer.

The list of pages comes from the hub's URLconf: a new URL fails
test_every_hub_url_is_checked_or_has_a_reason until it is added to one of the
lists below, so a page cannot be forgotten."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from billing.models import Customer
from tests.browser.conftest import DEMO_CUSTOMERS
from tests.support.browser import DESKTOP, PHONE, browser_sign_in, serious_violations

pytestmark = pytest.mark.browser

# Pages a signed-in customer opens; the value names the URL's argument.
PAGES = {
    "home": None,
    "profile": None,
    "purchases": None,
    "purchases_print": None,
    "subscriptions": None,
    "contact": None,
    "invoice": "number",
    "subscription_cancel": "subscription_id",
    "subscription_cancel_done": "subscription_id",
    "card": "subscription_id",
    "card_updated": "subscription_id",
}
# The pages before signing in are checked at both widths by
# tests/browser/test_access_a11y.py (form, errors, check email and its code
# form, continue, used link, rate limited).
ACCESS_PAGES = {"access_request", "access_code", "access_link"}
NOT_PAGES = {
    "purchases_csv": "a CSV file",
    "invoice_pdf": "a PDF",
    "credit_note_pdf": "a PDF",
    "subscription_keep": "POST only, redirects",
    "card_retry": "POST only, redirects",
    "card_email_link": "POST only, redirects",
    "signout": "POST only, redirects",
    "api_link": "signs in and redirects to a page above",
    "email_confirm": "checked below with a link that is no longer valid",
}


def hub_url_names() -> set[str]:
    """Every named URL under /<account>/updateinfo/, includes followed."""

    def walk(patterns) -> set[str]:
        names: set[str] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                names |= walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(pattern.name)
        return names

    [hub] = [
        p for p in get_resolver().url_patterns if str(p.pattern) == "<slug:account>/updateinfo/"
    ]
    return walk(hub.url_patterns)


def test_every_hub_url_is_checked_or_has_a_reason():
    assert hub_url_names() == set(PAGES) | ACCESS_PAGES | set(NOT_PAGES)


def page_paths(customer: Customer) -> list[str]:
    """Every page of PAGES that `customer` has, with its arguments filled in."""
    from django.urls import reverse

    account = customer.vendor.slug
    args = {
        "number": [i.number for i in customer.invoices.order_by("pk")[:1]],
        "subscription_id": [s.pk for s in customer.subscriptions.order_by("pk")],
    }
    paths = []
    for name, argument in PAGES.items():
        if argument is None:
            paths.append(reverse(f"hub:{name}", kwargs={"account": account}))
            continue
        for value in args[argument]:
            paths.append(reverse(f"hub:{name}", kwargs={"account": account, argument: value}))
    return paths


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
@pytest.mark.parametrize("account,email", DEMO_CUSTOMERS)
def test_every_hub_page_passes_axe(live_server, page, demo, account, email, viewport):
    page.set_viewport_size(viewport)
    customer = Customer.objects.get(vendor__slug=account, email=email)
    browser_sign_in(page, live_server, customer)
    failures = {}
    seen = set()
    for path in page_paths(customer):
        page.goto(live_server.url + path)
        landed = page.url.removeprefix(live_server.url)
        if landed in seen:  # redirected to a page already checked
            continue
        seen.add(landed)
        # The card field is Stripe.js's own component (the test fake's bare
        # inputs here), not ours to judge; tests/browser/test_card.py does the same.
        page.evaluate(
            "document.querySelector('#card-element')?.setAttribute('aria-hidden', 'true')"
        )
        failures[landed] = [v for v in serious_violations(page) if "#card-element" not in v]
    assert len(seen) >= 6, seen  # at least the pages without arguments
    page.goto(f"{live_server.url}/{account}/updateinfo/email/no-longer-valid/")
    failures["email_confirm"] = serious_violations(page)
    assert {path: found for path, found in failures.items() if found} == {}
