"""The invoice and subscriptions pages in Chromium: axe-core finds no
violation (issue 28: every A/AA rule, any impact), on a desk and on a phone,
and nothing overflows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.documents.invoices import invoice_issue
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory
from tests.support.browser import DESKTOP, PHONE, axe_violations, browser_sign_in, overflows

pytestmark = pytest.mark.browser

SIZES = {"desk": DESKTOP, "phone": PHONE}


@pytest.fixture
def alice_with_everything(alice):
    """Alice with a taxed invoice and one subscription in each state worth seeing."""
    alice.address_line1 = "12 Harbor Road"
    alice.city = "Portland"
    alice.save()
    now = timezone.now()
    active = SubscriptionFactory(customer=alice, product="Pro Membership")
    order = OrderFactory(customer=alice, product="Pro Membership", subscription=active)
    PaymentFactory(order=order, subscription=active, created_at=now - timedelta(days=30))
    late = SubscriptionFactory(
        customer=alice, product="Community Access", status="past_due", amount=Decimal("9.00")
    )
    late_order = OrderFactory(customer=alice, product="Community Access", subscription=late)
    PaymentFactory(
        order=late_order,
        subscription=late,
        status="failed",
        failure_message="Your card was declined.",
    )
    SubscriptionFactory(
        customer=alice,
        product="Masterclass Trial",
        status="trialing",
        trial_end=now + timedelta(days=7),
    )
    SubscriptionFactory(
        customer=alice, product="Old Plan", status="canceled", canceled_at=now - timedelta(days=90)
    )
    SubscriptionFactory(customer=alice, product="Ending Plan", cancel_at_period_end=True)
    taxed = PaymentFactory(
        order=OrderFactory(
            customer=alice,
            product="The Complete Photography Masterclass: Light, Composition and Editing",
            amount=Decimal("1249.00"),
        ),
        invoice=False,
    )
    return invoice_issue(payment=taxed, tax_label="VAT 20%", tax_amount=Decimal("208.17"))


@pytest.mark.parametrize("size", SIZES)
def test_the_invoice_page_is_accessible(live_server, page, alice, alice_with_everything, size):
    invoice = alice_with_everything
    page.set_viewport_size(SIZES[size])
    browser_sign_in(page, live_server, alice)
    response = page.goto(f"{live_server.url}/northwind/updateinfo/invoices/{invoice.number}/")
    assert response.status == 200
    assert page.get_by_role("heading", name="Invoice", exact=True).is_visible()
    assert page.get_by_role("link", name="Download PDF").is_visible()
    assert axe_violations(page) == []
    assert not overflows(page)


@pytest.mark.parametrize("size", SIZES)
def test_the_subscriptions_page_is_accessible(
    live_server, page, alice, alice_with_everything, size
):
    page.set_viewport_size(SIZES[size])
    browser_sign_in(page, live_server, alice)
    response = page.goto(f"{live_server.url}/northwind/updateinfo/subscriptions/")
    assert response.status == 200
    assert page.get_by_role("heading", name="Community Access").is_visible()
    assert page.get_by_role("cell", name="Your card was declined.").is_visible()
    assert axe_violations(page) == []
    assert not overflows(page)


def test_the_empty_subscriptions_page_is_accessible(live_server, page, alice):
    browser_sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/northwind/updateinfo/subscriptions/")
    assert page.get_by_role("heading", name="No subscriptions").is_visible()
    assert axe_violations(page) == []


def test_the_pdf_link_downloads_the_invoice(live_server, page, alice, alice_with_everything):
    invoice = alice_with_everything
    browser_sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/northwind/updateinfo/invoices/{invoice.number}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"invoice-{invoice.number}.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_the_hub_pages_make_no_third_party_requests(
    live_server, page, alice, alice_with_everything
):
    invoice = alice_with_everything
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    browser_sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/northwind/updateinfo/invoices/{invoice.number}/")
    page.goto(f"{live_server.url}/northwind/updateinfo/subscriptions/")
    assert requested and all(url.startswith(live_server.url) for url in requested), requested
