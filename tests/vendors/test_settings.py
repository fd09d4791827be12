"""Vendor settings that check themselves (issue 11, point 2): the logo is
opened as an image and re-encoded, the brand colour's contrast is checked
(and the hub picks readable text), links are full https:// addresses of
the right site, and a preview link opens the hub's sign-in page."""

import io
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from tests.vendors.test_admin import change_data
from vendors.branding import contrast_ratio, readable_text_color


def image_bytes(fmt: str, size=(120, 80), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1f5fbf").save(buffer, format=fmt, **save)
    return buffer.getvalue()


def post_settings(client, vendor, **overrides):
    return client.post(
        reverse("admin:vendors_vendor_change", args=[vendor.pk]), change_data(vendor, **overrides)
    )


def errors(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_a_png_jpeg_or_webp_logo_is_accepted_and_re_encoded(staff_client, vendor, fmt, ext):
    # Trailing bytes after the image (a polyglot's payload) do not survive.
    upload = SimpleUploadedFile(
        "../../evil name.gif", image_bytes(fmt) + b"<script>alert(1)</script>"
    )
    response = post_settings(staff_client, vendor, logo=upload)
    assert response.status_code == 302, errors(response)
    vendor.refresh_from_db()
    assert vendor.logo.name.startswith("logos/northwind-") and vendor.logo.name.endswith(ext)
    stored = vendor.logo.open("rb").read()
    assert b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == fmt and image.size == (120, 80)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Upload a valid image"),
        (image_bytes("GIF"), "PNG, JPEG or WebP"),
        (image_bytes("BMP"), "PNG, JPEG or WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "Upload a valid image"),
    ],
)
def test_anything_else_is_refused_with_a_message(staff_client, vendor, content, message):
    response = post_settings(staff_client, vendor, logo=SimpleUploadedFile("logo.png", content))
    assert response.status_code == 200
    assert message in str(errors(response)["logo"])
    vendor.refresh_from_db()
    assert not vendor.logo


def test_a_logo_over_1_mb_is_refused(staff_client, vendor):
    big = image_bytes("PNG", size=(10, 10)) + b"\x00" * (1024 * 1024)
    response = post_settings(staff_client, vendor, logo=SimpleUploadedFile("logo.png", big))
    assert "at most 1 MB" in str(errors(response)["logo"])


def test_a_pale_brand_colour_is_saved_with_a_warning_and_dark_text(staff_client, vendor, client):
    response = post_settings(staff_client, vendor, brand_color="#FFD700")
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    text = page.text
    assert "has a contrast of only 1.4:1 with white text" in text
    # The vendor is told what the hub does with it: which shades it derives.
    assert (
        "The hub shows dark text on it, and the darker shades #7f6b00 for links and "
        "#a88d00 for lines, so that every use stays readable."
    ) in text
    vendor.refresh_from_db()
    assert vendor.brand_color == "#ffd700"
    hub = Client().get(vendor.hub_path).text
    assert "--brand: #ffd700; --brand-text: #111418; --brand-ink: #7f6b00;" in hub


def test_a_dark_brand_colour_keeps_white_text_without_a_warning(staff_client, vendor):
    response = post_settings(staff_client, vendor, brand_color="#1f5fbf")
    assert "contrast of only" not in staff_client.get(response["Location"]).text
    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk])).text
    assert "6.1:1 with white text: readable." in page
    assert "--brand-text: #ffffff;" in Client().get(vendor.hub_path).text


def test_contrast_follows_wcag():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 1) == 4.5
    assert readable_text_color("#767676") == "#ffffff"
    assert readable_text_color("#ffffff") == "#111418"


@pytest.mark.parametrize("value", ["#12345", "blue", "#12345g", "123456"])
def test_a_colour_that_is_not_hex_is_refused(staff_client, vendor, value):
    response = post_settings(staff_client, vendor, brand_color=value)
    assert "Enter a colour as #RRGGBB." in str(errors(response)["brand_color"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("instagram_url", "http://instagram.com/northwind", "starting with https://"),
        ("instagram_url", "https://evil.example/northwind", "not a Instagram address"),
        ("facebook_url", "https://facebook.com.evil.example/x", "on facebook.com or fb.com"),
        ("website_url", "javascript:alert(1)", "Enter"),
        ("x_url", "ftp://x.com/northwind", "Enter"),
    ],
)
def test_links_must_be_full_https_addresses_of_their_site(
    staff_client, vendor, field, value, message
):
    response = post_settings(staff_client, vendor, **{field: value})
    assert response.status_code == 200
    assert message in str(errors(response)[field])


def test_good_links_are_saved(staff_client, vendor):
    response = post_settings(
        staff_client,
        vendor,
        instagram_url="https://www.instagram.com/northwind",
        x_url="https://twitter.com/northwind",
        youtube_url="youtu.be/abc",
    )
    assert response.status_code == 302, errors(response)
    vendor.refresh_from_db()
    assert vendor.youtube_url == "https://youtu.be/abc"


def test_the_settings_page_links_a_live_preview_of_the_sign_in_page(staff_client, vendor):
    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk])).text
    assert 'href="http://testserver/northwind/updateinfo/" target="_blank"' in page
    assert "Open the hub&#x27;s sign-in page with your saved branding" in page


def test_the_country_is_chosen_from_a_list_and_decides_the_invoice_paper(staff_client, vendor):
    from billing.documents.pdf import paper_size

    page = staff_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk])).text
    assert '<select name="country"' in page
    assert '<option value="CA">Canada</option>' in page
    response = post_settings(staff_client, vendor, country="Canada")
    assert response.status_code == 200 and "country" in errors(response)
    response = post_settings(staff_client, vendor, country="CA")
    assert response.status_code == 302, errors(response)
    vendor.refresh_from_db()
    assert (vendor.country, paper_size(vendor)) == ("CA", "letter")
    post_settings(staff_client, vendor, country="FR")
    vendor.refresh_from_db()
    assert (vendor.country, paper_size(vendor)) == ("FR", "A4")


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_admins_country_list_is_the_hubs_sorted_in_the_admins_language(
    staff_client, vendor, language
):
    """The vendor's country (the one country staff still edit) offers the very
    list the customers' profile form does, in the same order."""
    from django.utils import translation

    from hub.forms import country_choices

    page = staff_client.get(
        reverse("admin:vendors_vendor_change", args=[vendor.pk]),
        HTTP_ACCEPT_LANGUAGE=language,
    ).text
    select = re.search(r'<select name="country".*?</select>', page, re.S)
    assert select
    offered = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]*)</option>', select[0])
    with translation.override(language):
        hub = [(code, str(name)) for code, name in country_choices() if code]
    assert [(code, unescape(name)) for code, name in offered] == hub
    names = [name for _, name in hub]
    assert names == sorted(names, key=str.casefold)


def test_the_customer_page_names_the_country(staff_client, alice):
    alice.country = "US"
    alice.save()
    page = staff_client.get(reverse("admin:billing_customer_change", args=[alice.pk])).text
    assert '<div class="readonly">United States (US)</div>' in page
    assert 'name="country"' not in page  # read-only: nothing to type
