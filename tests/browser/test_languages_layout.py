"""Issue 23's browser check per language: in German, French and Spanish,
every hub page, signed out and signed in (every demo customer), at 1280 px
and at 390 px, lays out with nothing past the screen and no text past its
own box. German words are long ("Zahlungsmethode aktualisieren",
"Abonnementverwaltung"): a button, a table cell, a heading or a navigation
item whose text is wider than the box shows it cut off or spilling over its
neighbour.

One browser context per language; each page is loaded once and measured at
both widths (the viewport is resized in place: the layout is redone).
test_the_check_sees_a_word_past_its_box shows the check failing.
"""

import pytest
from django.core import mail

from billing.models import Customer
from tests.browser.conftest import DEMO_CUSTOMERS
from tests.browser.hub_pages import page_paths
from tests.support.browser import DESKTOP, PHONE, browser_sign_in
from vendors.models import Vendor

pytestmark = pytest.mark.browser

LANGUAGES = ["de", "fr", "es"]

# The page scrolling sideways, and the boxes whose text is wider than they
# are: scrollWidth counts what overflows even where it is drawn ("visible").
# Inline elements have no box of their own; boxes that scroll by design
# (.table-scroll) are the exception the phone layout allows.
TEXT_PAST_ITS_BOX = """() => {
  const root = document.documentElement;
  const out = [];
  if (root.scrollWidth > root.clientWidth + 1) {
    out.push("page scrolls sideways: " + root.scrollWidth + " > " + root.clientWidth);
  }
  const boxes = "button, .button, a.button, td, th, nav a, nav li, .badge, h1, h2, h3, "
    + "label, legend, dt, dd, .alert, summary, select, input[type=submit], p";
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className ? "." + el.className.split(" ")[0] : "");
  // What is clipped away (a table's header on a phone, text for screen
  // readers only) is not seen.
  const clipped = (el) => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.clip !== "auto" && style.clip !== "" || style.clipPath !== "none") return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll(boxes)) {
    if (el.closest("dialog:not([open]), [hidden], .visually-hidden, .skip-link")) continue;
    if (clipped(el)) continue;
    if (!el.getClientRects().length || getComputedStyle(el).display === "inline") continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      out.push(name(el) + " " + el.scrollWidth + " > " + el.clientWidth + ": "
        + el.textContent.trim().replace(/\\s+/g, " ").slice(0, 50));
    }
  }
  return out.slice(0, 10);
}"""


def measure(page, label: str, failures: dict[str, list[str]]) -> None:
    for viewport, width in ((DESKTOP, "1280"), (PHONE, "390")):
        page.set_viewport_size(viewport)
        found = page.evaluate(TEXT_PAST_ITS_BOX)
        if found:
            failures[f"{width} {label}"] = found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_fits_in_every_language(live_server, browser, demo, language):
    Vendor.objects.update(languages=["en", "de", "fr", "es"])
    Customer.objects.update(language=language)
    context = browser.new_context(viewport=DESKTOP, locale=language)
    page = context.new_page()
    failures: dict[str, list[str]] = {}
    checked = 0
    try:
        # Signed out: the access form (each vendor), its errors, the check
        # email page, the code form and the emailed link's continue page.
        for account in ("demo", "acme"):
            for path in ("", "cancel/", "withdraw/"):  # the form, the public rights pages
                page.goto(f"{live_server.url}/{account}/updateinfo/{path}")
                assert page.locator("html").get_attribute("lang") == language
                measure(page, f"{account} signed out /{path}", failures)
        mail.outbox.clear()
        page.goto(f"{live_server.url}/acme/updateinfo/")
        page.get_by_role("textbox").first.fill("alex@example.com")
        page.locator("form[action$='/access/'] [type=submit]").click()
        page.wait_for_load_state()
        measure(page, "check your email", failures)
        page.goto(f"{live_server.url}/acme/updateinfo/access/code/")
        measure(page, "code form", failures)
        link = next(word for word in mail.outbox[-1].body.split() if "/access/" in word)
        page.goto(live_server.url + "/" + link.split("/", 3)[3])
        measure(page, "continue", failures)
        page.goto(f"{live_server.url}/acme/updateinfo/email/no-longer-valid/")
        measure(page, "email link no longer valid", failures)
        checked += 6
        # Signed in: every page of every demo customer.
        for account, email in DEMO_CUSTOMERS:
            customer = Customer.objects.get(vendor__slug=account, email=email)
            browser_sign_in(page, live_server, customer)
            for path in page_paths(customer):
                page.goto(live_server.url + path)
                assert page.locator("html").get_attribute("lang") == language, path
                measure(page, f"{email} {page.url.removeprefix(live_server.url)}", failures)
                checked += 1
    finally:
        context.close()
    assert checked > 40
    assert failures == {}, "\n".join(f"{name}: {found}" for name, found in failures.items())


def test_the_check_sees_a_word_past_its_box(page):
    page.set_viewport_size(PHONE)
    page.set_content(
        '<html lang="de"><body><table><tr><td style="width:60px;max-width:60px;'
        'overflow:hidden">Zahlungsmethodenaktualisierung</td></tr></table>'
        '<button style="width:80px;white-space:nowrap">Jetzt kündigen bestätigen</button>'
        "</body></html>"
    )
    found = page.evaluate(TEXT_PAST_ITS_BOX)
    assert any(item.startswith("td") for item in found), found
    assert any(item.startswith("button") for item in found), found
    page.set_content('<div style="width:900px">wide</div>')
    assert page.evaluate(TEXT_PAST_ITS_BOX)[0].startswith("page scrolls sideways")


# A German compound longer than any in the catalog today, for the strings
# still to come (the cancellation and withdrawal pages' statutory wording).
LONG_WORD = "Kündigungsbestätigungsbenachrichtigung"
LONG_TEXT_IN = """(word) => {
  const targets = [
    "main h1", "main h2", "main p", "main .button, main button", "main td:not(.nowrap)",
    "main th",
    "main dd", "main dt", "main .badge", "main label",
  ];
  const changed = [];
  for (const selector of targets) {
    const el = [...document.querySelectorAll(selector)].find((e) => e.getClientRects().length);
    if (!el) continue;
    el.textContent = word + " " + word;
    changed.push(selector);
  }
  return changed;
}"""


def test_a_long_german_word_wraps_in_every_kind_of_box(live_server, browser, demo):
    """A word wider than a phone's column breaks (at a hyphen where German
    allows one: `hyphens: auto` and <html lang="de">) instead of pushing its
    box, or the page, wider."""
    Customer.objects.update(language="de")
    context = browser.new_context(viewport=PHONE, locale="de")
    page = context.new_page()
    failures: dict[str, list[str]] = {}
    kinds: set[str] = set()
    try:
        customer = Customer.objects.get(vendor__slug="demo", email="dana@example.com")
        browser_sign_in(page, live_server, customer)
        for path in page_paths(customer)[:6]:
            page.goto(live_server.url + path)
            kinds.update(page.evaluate(LONG_TEXT_IN, LONG_WORD))
            found = page.evaluate(TEXT_PAST_ITS_BOX)
            if found:
                failures[path] = found
    finally:
        context.close()
    assert {"main h1", "main p", "main .button, main button", "main td:not(.nowrap)"} <= kinds
    assert failures == {}, "\n".join(f"{name}: {found}" for name, found in failures.items())
