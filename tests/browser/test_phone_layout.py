"""At 390 px (a common phone) no element of any hub page reaches past the
screen's edge, for every demo customer: the pages a newcomer opens first."""

import pytest

from billing.models import Customer
from tests.browser.conftest import DEMO_CUSTOMERS
from tests.browser.hub_pages import page_paths
from tests.support.browser import browser_sign_in, overflows

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}

# Elements whose right edge passes the viewport (scrollable tables excepted:
# their box scrolls sideways by design, their content may be wider; and what
# a screen reader alone reads, clipped to its 1 px box, such as a product
# name's lang span inside a button's hidden words).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".table-scroll") && !el.matches(".table-scroll")) continue;
    if (el.closest(".visually-hidden") && !el.matches(".visually-hidden")) continue;
    if (el.closest("dialog:not([open])")) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      out.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
               " right=" + Math.round(box.right));
    }
  }
  return out.slice(0, 5);
}"""


# Dates, prices and numbers marked nowrap, and the amounts of data tables
# with their headings, that still take two lines: the distinct line tops of
# their text.
WRAPPED = """() => {
  const out = [];
  for (const el of document.querySelectorAll(".nowrap, table.data .num")) {
    if (!el.getClientRects().length || !el.textContent.trim()) continue;
    const tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // Text only for screen readers sits on its own 1 px box.
      if (!node.data.trim() || node.parentElement.closest(".visually-hidden")) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width) tops.add(Math.round(r.top));
    }
    if (tops.size > 1) out.push(el.textContent.trim());
  }
  return out;
}"""

# Words of contact values (names, addresses, links; emails excepted: they
# may break) that a line break cut in two.
BROKEN_WORDS = """() => {
  const out = [];
  for (const dd of document.querySelectorAll("dl.details dd:not(.email)")) {
    const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width)
          .map(r => Math.round(r.top)));
        if (tops.size > 1) out.push(match[0]);
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("account,email", DEMO_CUSTOMERS)
def test_no_hub_page_overflows_a_phone(live_server, page, demo, account, email):
    page.set_viewport_size(PHONE_390)
    customer = Customer.objects.get(vendor__slug=account, email=email)
    browser_sign_in(page, live_server, customer)
    for path in page_paths(customer):
        page.goto(live_server.url + path)
        assert page.evaluate(OVERFLOWING) == [], f"{path}"
        assert not overflows(page), f"{path}: the page scrolls sideways"
        assert page.evaluate(WRAPPED) == [], f"{path}: a date or an amount on two lines"
        assert page.evaluate(BROKEN_WORDS) == [], f"{path}: a word cut in two"
        # Sign out shares the row with the brand, even beside a long vendor name.
        brand = page.locator(".brand").bounding_box()
        signout = page.locator(".signout").bounding_box()
        assert abs(signout["y"] - brand["y"]) < brand["height"], f"{path}"


def test_the_checks_see_a_wrapped_date_and_a_cut_word(page):
    # Without the rules in hub.css both would pass here: a narrow box makes
    # a date wrap and a word break, and the checks must say so.
    page.set_viewport_size(PHONE_390)
    page.set_content(
        '<div style="width:60px"><span class="nowrap" style="white-space:normal">'
        "Nov 28, 2026</span><dl class=details><dd style='overflow-wrap:anywhere'>"
        "Hauptstrasseeinhundert</dd></dl></div>"
    )
    assert page.evaluate(WRAPPED) == ["Nov 28, 2026"]
    assert page.evaluate(BROKEN_WORDS) == ["Hauptstrasseeinhundert"]


def test_the_dev_mailbox_fits_a_phone(live_server, page, settings, tmp_path):
    from django.core.mail import EmailMessage, get_connection

    settings.DEBUG = True
    settings.EMAIL_BACKEND = "hub.devmail.DevMailBackend"
    settings.DEV_MAIL_DIR = tmp_path / "mail"
    for subject in ("Your access link for Northwind Courses", "Receipt: Course Workbook"):
        EmailMessage(
            subject=subject,
            body="Hello",
            to=["a.very.long.address.for.testing@customers.example.com"],
            connection=get_connection(),
        ).send()
    page.set_viewport_size(PHONE_390)
    page.goto(f"{live_server.url}/_dev/mail/")
    assert page.locator("text=Receipt: Course Workbook").is_visible()
    assert page.evaluate(OVERFLOWING) == []
    # Nothing is cut off behind a sideways scroll either.
    assert (
        page.evaluate(
            "() => [...document.querySelectorAll('.table-scroll')]"
            ".filter(el => el.scrollWidth > el.clientWidth + 1).length"
        )
        == 0
    )
    assert page.evaluate(WRAPPED) == []


# The rules behind the two checks above. The demo's values happen to fit
# either way, so the effect checks alone pass on the old stylesheet; these
# fail on it (contact values broke anywhere, the history's dates wrapped).
WRAP_RULES = """() => ({
  dd: [...document.querySelectorAll("dl.details dd:not(.email)")]
        .map(el => getComputedStyle(el).overflowWrap),
  email: [...document.querySelectorAll("dl.details dd.email")]
        .map(el => getComputedStyle(el).overflowWrap),
  dates: [...document.querySelectorAll("table.purchases td.nowrap")]
        .map(el => getComputedStyle(el).whiteSpace),
})"""


def test_only_emails_break_anywhere_and_dates_keep_one_line(live_server, page, demo):
    page.set_viewport_size(PHONE_390)
    customer = Customer.objects.get(vendor__slug="demo", email="alex@example.com")
    browser_sign_in(page, live_server, customer)
    base = f"{live_server.url}/demo/updateinfo/"
    page.goto(base)
    rules = page.evaluate(WRAP_RULES)
    assert rules["dd"] and set(rules["dd"]) == {"break-word"}
    assert rules["email"] and set(rules["email"]) == {"anywhere"}
    page.goto(base + "purchases/")
    assert set(page.evaluate(WRAP_RULES)["dates"]) == {"nowrap"}
