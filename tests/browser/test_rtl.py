"""Right-to-left is a catalog away (issue 23): every hub page, set to
dir="rtl" by the test, lays out with nothing past the screen's edges and no
two pieces of text or controls on top of each other, on a phone and on a
laptop. The same pages left-to-right pass the same check, so what it finds
under rtl is the direction's doing.

The stylesheets use logical properties (margin-inline-start, text-align:
start, inset-inline-start); tests/hub/test_rtl_css.py keeps physical ones out.
"""

import pytest

from billing.models import Customer
from tests.browser.conftest import DEMO_CUSTOMERS
from tests.browser.hub_pages import page_paths
from tests.support.browser import DESKTOP, PHONE, browser_sign_in

pytestmark = pytest.mark.browser

# What a person would see wrong: an element past either edge of the screen
# (the page scrolls sideways; in rtl that is the left edge), and two leaves
# of the page (text, controls, images) overlapping. Boxes that scroll by
# design (.table-scroll), closed dialogs and what is clipped away (text only for
# screen readers, a table's header on a phone) are left out.
LAYOUT_PROBLEMS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width + 1) problems.push("page scrolls sideways");
  const clipped = (el) => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.clip !== "auto" && style.clip !== "" || style.clipPath !== "none") return true;
    }
    return false;
  };
  const hidden = (el) => el.closest("dialog:not([open]), .skip-link, [hidden]")
    || getComputedStyle(el).visibility === "hidden" || clipped(el);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className ? "." + el.className.split(" ")[0] : "");
  const leaves = [];
  for (const el of document.querySelectorAll("body *")) {
    if (hidden(el)) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (!el.closest(".table-scroll") && (box.left < -1 || box.right > width + 1)) {
      const span = Math.round(box.left) + ".." + Math.round(box.right);
      problems.push(name(el) + " past the edge: " + span);
    }
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
    if (ownText || el.matches("input:not([type=hidden]), select, textarea, button, img, svg")) {
      // An inline element's line boxes, not the rectangle around them: a
      // link wrapped over two lines does not cover the words between.
      leaves.push([el, [...el.getClientRects()].filter((r) => r.width && r.height)]);
    }
  }
  for (let i = 0; i < leaves.length; i++) {
    for (let j = i + 1; j < leaves.length; j++) {
      const [a, ps] = leaves[i], [b, qs] = leaves[j];
      if (a.contains(b) || b.contains(a)) continue;
      const overlap = ps.some((p) => qs.some((q) =>
        Math.min(p.right, q.right) - Math.max(p.left, q.left) > 2
        && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 2));
      if (overlap) problems.push(name(a) + " overlaps " + name(b));
    }
  }
  return problems.slice(0, 8);
}"""


def layout_problems(page, direction: str) -> list[str]:
    page.evaluate(f"document.documentElement.dir = '{direction}'")
    return page.evaluate(LAYOUT_PROBLEMS)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
def test_every_hub_page_lays_out_right_to_left(live_server, browser, demo, viewport):
    failures: dict[str, list[str]] = {}
    signed_out = browser.new_context(viewport=viewport).new_page()
    for path in ("/demo/updateinfo/", "/acme/updateinfo/"):
        signed_out.goto(live_server.url + path)
        for direction in ("ltr", "rtl"):
            failures[f"{direction} {path}"] = layout_problems(signed_out, direction)
    for account, email in DEMO_CUSTOMERS:
        customer = Customer.objects.get(vendor__slug=account, email=email)
        page = browser.new_context(viewport=viewport).new_page()
        browser_sign_in(page, live_server, customer)
        for path in page_paths(customer):
            page.goto(live_server.url + path)
            landed = page.url.removeprefix(live_server.url)
            for direction in ("ltr", "rtl"):
                failures[f"{direction} {email} {landed}"] = layout_problems(page, direction)
        page.context.close()
    assert len(failures) > 20
    assert {name: found for name, found in failures.items() if found} == {}
