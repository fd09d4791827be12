"""At 390 px (a common phone) no element of any hub page reaches past the
screen's edge, for every demo customer: the pages a newcomer opens first."""

from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import Customer
from tests.support.browser import browser_sign_in

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}

# Elements whose right edge passes the viewport (scrollable tables excepted:
# their box scrolls sideways by design, their content may be wider).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".table-scroll") && !el.matches(".table-scroll")) continue;
    if (el.closest("dialog:not([open])")) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      out.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
               " right=" + Math.round(box.right));
    }
  }
  return out.slice(0, 5);
}"""


@pytest.fixture
def demo(transactional_db, settings, stripe_api, paypal_api):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False


def hub_pages(page, base: str) -> list[str]:
    """Every page a signed-in demo customer reaches from the hub's own links."""
    pages = ["", "profile/", "purchases/", "subscriptions/", "contact/"]
    page.goto(base + "purchases/")
    invoice = page.locator("a[href*='/invoices/']").first
    if invoice.count():
        pages.append(invoice.get_attribute("href").split("/updateinfo/")[1])
    page.goto(base + "subscriptions/")
    for link in page.locator("a[href*='/cancel/'], a[href*='/card/']").all():
        pages.append(link.get_attribute("href").split("/updateinfo/")[1])
    return pages


@pytest.mark.parametrize(
    "account,email",
    [
        ("demo", "alex@example.com"),
        ("demo", "blair@example.com"),
        ("demo", "casey@example.com"),
        ("demo", "dana@example.com"),
        ("demo", "eli@example.com"),
        ("acme", "alex@example.com"),
    ],
)
def test_no_hub_page_overflows_a_phone(live_server, page, demo, account, email):
    page.set_viewport_size(PHONE_390)
    customer = Customer.objects.get(vendor__slug=account, email=email)
    browser_sign_in(page, live_server, customer)
    base = f"{live_server.url}/{account}/updateinfo/"
    for path in hub_pages(page, base):
        page.goto(base + path)
        assert page.evaluate(OVERFLOWING) == [], f"{account}/{path}"
        # Sign out shares the row with the brand, even beside a long vendor name.
        brand = page.locator(".brand").bounding_box()
        signout = page.locator(".signout").bounding_box()
        assert abs(signout["y"] - brand["y"]) < brand["height"], f"{account}/{path}"
