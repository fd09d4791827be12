"""The hub's busiest templates write their links from vendor.hub_path rather
than {% url %} (a reversal per link was a tenth of a page's rendering); these
are the paths they write, checked against the URLconf."""

import pytest
from django.urls import reverse

from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

# name, kwargs beyond the account, the path the templates write after hub_path
WRITTEN = [
    ("hub:home", {}, ""),
    ("hub:contact", {}, "contact/"),
    ("hub:profile", {}, "profile/"),
    ("hub:purchases", {}, "purchases/"),
    ("hub:purchases_csv", {}, "purchases.csv"),
    ("hub:purchases_print", {}, "purchases/print/"),
    ("hub:subscriptions", {}, "subscriptions/"),
    ("hub:card", {"subscription_id": 7}, "subscriptions/7/card/"),
    ("hub:subscription_cancel", {"subscription_id": 7}, "subscriptions/7/cancel/"),
    ("hub:subscription_keep", {"subscription_id": 7}, "subscriptions/7/keep/"),
    ("hub:signout", {}, "signout/"),
]


@pytest.mark.parametrize(("name", "kwargs", "written"), WRITTEN)
def test_the_written_paths_are_the_urlconfs(name, kwargs, written):
    vendor = VendorFactory(slug="northwind-2")
    assert reverse(name, kwargs={"account": vendor.slug, **kwargs}) == vendor.hub_path + written
