"""The public cancellation page in Chromium (§ 312k BGB): from the footer
link of a receipt email to the emailed confirmation, without signing in,
with the statutory labels exactly as written."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing.documents.receipts import payment_receipt_send
from tests.factories import OrderFactory, PaymentFactory
from tests.magiclinks.fixtures import _rate_limits_isolated  # noqa: F401
from tests.support.browser import PHONE, axe_violations

pytestmark = pytest.mark.browser


def test_from_a_receipts_footer_to_the_emailed_confirmation(live_server, page, alice):
    order = OrderFactory(customer=alice, number="ORD-4242", product="Pro Course")
    payment = PaymentFactory(order=order)
    assert payment_receipt_send(payment_id=payment.pk)
    [receipt] = mail.outbox
    html = receipt.alternatives[0][0]
    link = re.search(
        r'<a href="http://testserver(/[^"]+/cancel/)"[^>]*>Cancel contracts here</a>', html
    )
    assert link, "the receipt's footer links the cancellation page"
    mail.outbox.clear()

    page.goto(live_server.url + link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel contracts here")
    assert axe_violations(page) == []
    expect(page.locator(".site-footer a.footer-rights")).to_have_text("Cancel contracts here")
    button = page.get_by_role("button", name="Cancel now", exact=True)
    expect(button).to_have_text("Cancel now")
    page.get_by_label("Ordinary cancellation", exact=True).check()
    page.get_by_label(re.compile(r"^Name")).fill("Alice Adams")
    page.get_by_label(re.compile(r"^Email")).fill("alice@example.com")
    page.get_by_label("Order ID").fill("ORD-4242")
    page.get_by_label("As soon as possible").check()
    button.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your cancellation was received")
    assert "/cancel/done/" in page.url and "/access/" not in page.url
    expect(page.locator(".declaration")).to_contain_text("ORD-4242")
    expect(page.locator(".declaration")).to_contain_text("(UTC)")
    expect(page.get_by_role("link", name="Download as PDF")).to_be_visible()
    assert axe_violations(page) == []
    confirmations = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert [m.subject for m in confirmations] == [
        "Your cancellation was received by Northwind Courses"
    ]
    assert "ORD-4242" in confirmations[0].body and "(UTC)" in confirmations[0].body


def test_the_withdrawal_in_two_steps_on_a_phone(live_server, page, vendor, alice):
    vendor.country = "DE"
    vendor.save()
    OrderFactory(customer=alice, number="ORD-5151", product="Pro Course")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/northwind/updateinfo/")
    page.locator(".site-footer").get_by_role("link", name="Withdraw from contract here").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw from contract here")
    assert axe_violations(page) == []
    page.get_by_label(re.compile(r"^Name")).fill("Alice Adams")
    page.get_by_label(re.compile(r"^Email")).fill("alice@example.com")
    page.get_by_label(re.compile(r"^Order ID")).fill("ORD-5151")
    page.get_by_role("button", name="Continue").click()
    confirm = page.get_by_role("button", name="Confirm withdrawal", exact=True)
    expect(confirm).to_have_text("Confirm withdrawal")
    assert axe_violations(page) == []
    confirm.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your withdrawal was received")
    expect(page.locator(".declaration")).to_contain_text("ORD-5151")
    assert axe_violations(page) == []
    acks = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert [m.subject for m in acks] == ["Your withdrawal was received by Northwind Courses"]
