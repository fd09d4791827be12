"""The Update my info dialog: Cancel discards, Save stays in view, and a
server-side error keeps the dialog open with focus on the first error."""

import pytest

from tests.support.browser import browser_sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
PHONE_390 = {"width": 390, "height": 844}


def open_dialog(page, live_server):
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    page.get_by_role("link", name="Update my info").click()
    dialog = page.get_by_role("dialog", name="Update my info")
    dialog.get_by_label("Full name").wait_for()
    return dialog


def test_cancel_discards_the_edits(live_server, page, alice):
    browser_sign_in(page, live_server, alice)
    dialog = open_dialog(page, live_server)
    dialog.get_by_label("Full name").fill("Someone Else")
    dialog.get_by_role("button", name="Cancel").click()
    page.get_by_role("link", name="Update my info").click()
    assert dialog.get_by_label("Full name").input_value() == "Alice Adams"
    alice.refresh_from_db()
    assert alice.name == "Alice Adams"


@pytest.mark.parametrize("size", [LAPTOP, PHONE_390], ids=["laptop", "phone"])
def test_save_stays_visible_while_the_dialog_scrolls(live_server, page, alice, size):
    page.set_viewport_size(size)
    browser_sign_in(page, live_server, alice)
    dialog = open_dialog(page, live_server)
    save = dialog.get_by_role("button", name="Save my details")
    box = save.bounding_box()
    assert box is not None and box["y"] + box["height"] <= size["height"]


def test_an_error_keeps_the_dialog_open_and_focuses_it(live_server, page, alice):
    browser_sign_in(page, live_server, alice)
    dialog = open_dialog(page, live_server)
    dialog.get_by_label("Email").fill("not an email")
    dialog.get_by_role("button", name="Save my details").click()
    dialog.locator(".field--invalid").first.wait_for()
    assert dialog.is_visible()
    assert page.url == f"{live_server.url}/northwind/updateinfo/"
    focused = page.evaluate("document.activeElement.name")
    assert focused == "email"
    # Fixing it and saving again goes through.
    dialog.get_by_label("Email").fill("alice@example.com")
    dialog.get_by_label("Full name").fill("Alice B. Adams")
    dialog.get_by_role("button", name="Save my details").click()
    page.get_by_text("Your details are saved.").wait_for()
    alice.refresh_from_db()
    assert alice.name == "Alice B. Adams"
