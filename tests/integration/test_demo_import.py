"""The demo's import story: `import_stripe demo` twice in a row reports no
change the second time (with the seeded demo living at localstripe)."""

import io

import requests
from django.core.management import call_command

from vendors.models import Vendor


def test_import_stripe_demo_twice_reports_no_change_the_second_time(
    db, settings, stripe_api, paypal_api
):
    requests.delete(f"{stripe_api}/_config/data", timeout=10).raise_for_status()
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    demo = Vendor.objects.get(slug="demo")
    assert demo.stripe_webhook_secret == "whsec_demo_demo"  # make demo registers it

    first = io.StringIO()
    call_command("import_stripe", "demo", stdout=first)
    second = io.StringIO()
    call_command("import_stripe", "demo", stdout=second)

    assert "changes." in first.getvalue()
    assert second.getvalue().rstrip().endswith("0 changes.")
    alex = demo.customers.get(email="alex@example.com")
    assert alex.payments.count() >= 60  # the seeded history stays
