"""Fixtures shared by the browser tests."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture
def demo(transactional_db, settings, stripe_api, paypal_api):
    """The demo's vendors and customers (`make demo`), seeded as the demo does."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False


# Every demo customer: each has a different mix of orders and subscriptions.
DEMO_CUSTOMERS = [
    ("demo", "alex@example.com"),
    ("demo", "blair@example.com"),
    ("demo", "casey@example.com"),
    ("demo", "dana@example.com"),
    ("demo", "eli@example.com"),
    # Issue 25's invoices: US sales tax and a coupon; a reverse charge.
    ("demo", "gale@example.com"),
    ("acme", "alex@example.com"),
    ("acme", "einkauf@beispiel-handel.example"),
]
