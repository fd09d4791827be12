"""Vendor slugs: 3-40 lowercase letters, digits and hyphens, no reserved
word, unique; checked by full_clean and by the admin form."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import VendorFactory
from vendors.models import RESERVED_SLUGS, Vendor


def slug_errors(slug: str) -> list[str]:
    vendor = Vendor(slug=slug, name="Some Shop")
    try:
        vendor.full_clean()
    except ValidationError as exc:
        return [e.code for e in exc.error_dict.get("slug", [])]
    return []


@pytest.mark.parametrize(
    "slug", ["abc", "northwind-2", "a1b", "9lives", "x" * 40, "my-very-long-shop-name"]
)
def test_it_accepts_well_formed_slugs(db, slug):
    assert slug_errors(slug) == []


@pytest.mark.parametrize(
    "slug",
    [
        "ab",  # too short
        "x" * 41,  # too long
        "Northwind",  # uppercase
        "north_wind",  # underscore
        "north wind",
        "north.wind",
        "-northwind",  # must start and end with a letter or digit
        "northwind-",
        "nörthwind",
        "",
    ],
)
def test_it_rejects_malformed_slugs(db, slug):
    assert slug_errors(slug), f"{slug!r} was accepted"


@pytest.mark.parametrize("slug", ["admin", "api", "static", "webhooks", "healthz", "readyz"])
def test_it_rejects_reserved_words(db, slug):
    assert slug in RESERVED_SLUGS
    assert slug_errors(slug) == ["reserved"]


def test_it_rejects_a_slug_that_is_taken(vendor):
    assert slug_errors("northwind") == ["unique"]


def test_it_defaults_the_invoice_prefix_to_the_account_in_capitals(db):
    assert VendorFactory(slug="corner-shop").invoice_prefix == "CORNER-SHOP"


def test_it_builds_the_hub_url_from_site_url(settings, vendor):
    settings.SITE_URL = "https://hub.example.com"
    assert vendor.hub_path == "/northwind/updateinfo/"
    assert vendor.hub_url == "https://hub.example.com/northwind/updateinfo/"
