"""vendors.selectors.vendor_for_slug: a web process reuses a loaded vendor
for a few seconds, sees its own saves at once, and never shares one
instance between requests."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vendors import selectors
from vendors.models import Vendor
from vendors.selectors import vendor_for_slug

HOME = "/northwind/updateinfo/"


@pytest.fixture
def cache_on(settings):
    settings.HUB_VENDOR_CACHE_SECONDS = 60
    selectors.vendor_cache_clear()
    yield
    selectors.vendor_cache_clear()


def vendor_queries(captured) -> int:
    return sum('FROM "vendors_vendor"' in q["sql"] for q in captured.captured_queries)


def test_a_second_request_reads_no_vendor_row(cache_on, alice_client):
    with CaptureQueriesContext(connection) as first:
        assert alice_client.get(HOME).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert alice_client.get(HOME).status_code == 200
    assert vendor_queries(first) == 1
    assert vendor_queries(second) == 0
    assert len(second.captured_queries) == len(first.captured_queries) - 1


def test_a_save_in_this_process_is_seen_at_once(cache_on, vendor):
    assert vendor_for_slug(slug="northwind").name == "Northwind Courses"
    vendor.name = "Northwind Academy"
    vendor.save()
    assert vendor_for_slug(slug="northwind").name == "Northwind Academy"
    vendor.delete()
    assert vendor_for_slug(slug="northwind") is None


def test_each_caller_gets_its_own_instance(cache_on, vendor):
    first = vendor_for_slug(slug="northwind")
    first.name = "changed by one request"
    first.csp_nonce = "request one"
    second = vendor_for_slug(slug="northwind")
    assert second is not first
    assert second.name == "Northwind Courses"
    assert not hasattr(second, "csp_nonce")


def test_it_expires(cache_on, settings, vendor):
    assert vendor_for_slug(slug="northwind") is not None
    Vendor.objects.filter(pk=vendor.pk).update(name="Changed elsewhere")  # no signal
    assert vendor_for_slug(slug="northwind").name == "Northwind Courses"
    settings.HUB_VENDOR_CACHE_SECONDS = 0.000001
    assert vendor_for_slug(slug="northwind").name == "Changed elsewhere"


def test_unknown_slugs_are_not_kept(cache_on, db):
    for n in range(50):
        assert vendor_for_slug(slug=f"made-up-{n}") is None
    assert selectors._by_slug == {}


def test_off_reads_the_row_every_time(settings, vendor):
    settings.HUB_VENDOR_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as captured:
        vendor_for_slug(slug="northwind")
        vendor_for_slug(slug="northwind")
    assert vendor_queries(captured) == 2
