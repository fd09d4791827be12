"""The vendor settings page in Chromium (issue 11, points 2, 3 and 5): copy
buttons, logo upload, validation errors, and the API key shown once."""

import io

import pytest
from PIL import Image

from vendors.models import ApiKey

pytestmark = pytest.mark.browser


@pytest.fixture
def owner_page(live_server, page, northwind_staff):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def settings_url(live_server, vendor) -> str:
    return f"{live_server.url}/admin/vendors/vendor/{vendor.pk}/change/"


def test_the_copy_buttons_copy_the_webhook_url_and_events(
    live_server, owner_page, vendor, settings
):
    settings.SITE_URL = live_server.url
    owner_page.goto(settings_url(live_server, vendor))
    button = owner_page.locator('[data-copy="#stripe-webhook-url"]')
    button.click()
    owner_page.wait_for_function(
        "document.querySelector('[data-copy=\"#stripe-webhook-url\"]').textContent === 'Copied'"
    )
    copied = owner_page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.url}/webhooks/stripe/northwind/"
    owner_page.locator('[data-copy="#paypal-webhook-events"]').click()
    owner_page.wait_for_timeout(200)
    events = owner_page.evaluate("navigator.clipboard.readText()")
    assert events.startswith("PAYMENT.SALE.COMPLETED,PAYMENT.SALE.REFUNDED,")


def test_a_logo_uploads_and_bad_values_show_their_errors(live_server, owner_page, vendor, tmp_path):
    logo = tmp_path / "logo.webp"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "#1f5fbf").save(buffer, format="WEBP")
    logo.write_bytes(buffer.getvalue())
    not_an_image = tmp_path / "logo.png"
    not_an_image.write_bytes(b"<svg onload='alert(1)'/>")

    owner_page.goto(settings_url(live_server, vendor))
    owner_page.set_input_files("#id_logo", str(not_an_image))
    owner_page.fill("#id_brand_color", "blue")
    owner_page.fill("#id_instagram_url", "http://instagram.com/northwind")
    owner_page.get_by_role("button", name="Save", exact=True).click()
    text = owner_page.locator("#content-main").inner_text()
    assert "Upload a valid image" in text
    assert "Enter a colour as #RRGGBB." in text
    assert "Use the full address starting with https://" in text

    owner_page.set_input_files("#id_logo", str(logo))
    owner_page.fill("#id_brand_color", "#ffd700")
    owner_page.fill("#id_instagram_url", "https://instagram.com/northwind")
    owner_page.get_by_role("button", name="Save", exact=True).click()
    owner_page.wait_for_url(f"{live_server.url}/admin/vendors/vendor/")
    assert "contrast of only" in owner_page.locator(".messagelist").inner_text()
    vendor.refresh_from_db()
    assert vendor.logo.name.endswith(".webp") and vendor.brand_color == "#ffd700"
    # The hub's sign-in page shows the new logo, with dark text on pale buttons.
    owner_page.goto(f"{live_server.url}{vendor.hub_path}")
    color = owner_page.locator("button[type=submit]").first.evaluate(
        "el => getComputedStyle(el).color"
    )
    assert color == "rgb(17, 20, 24)"


def test_an_api_key_is_shown_once_with_a_copy_button(live_server, owner_page, vendor):
    owner_page.goto(f"{live_server.url}/admin/vendors/apikey/add/")
    owner_page.select_option("#id_vendor", str(vendor.pk))
    owner_page.fill("#id_name", "Website")
    owner_page.get_by_role("button", name="Save", exact=True).click()
    shown = owner_page.locator("#api-key").input_value()
    owner_page.locator('[data-copy="#api-key"]').click()
    owner_page.wait_for_timeout(200)
    assert owner_page.evaluate("navigator.clipboard.readText()") == shown
    assert shown.startswith(f"hub_{ApiKey.objects.get().prefix}_")
    owner_page.goto(f"{live_server.url}/admin/vendors/apikey/")
    assert shown not in owner_page.content()
