"""The public cancellation page in Chromium (§ 312k BGB): from the footer
link of a receipt email to the emailed confirmation, without signing in,
with the statutory labels exactly as written; in English and in German.

The statutory labels are spelled out here word for word; the page's other
words come from the catalog (gettext), so a translation may be reworded
without touching these tests, and a statutory label may not."""

import re

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
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
    footer = (
        r'<a href="http://testserver(/[^"]+/cancel/(?:\?lang=en)?)"[^>]*>Cancel contracts here</a>'
    )
    link = re.search(footer, html)
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
    order = OrderFactory(customer=alice, number="ORD-5151", product="Pro Course")
    assert payment_receipt_send(payment_id=PaymentFactory(order=order).pk)
    [receipt] = mail.outbox
    footer = r'<a href="http://testserver(/[^"]+/cancel/\?lang=en)"[^>]*>Cancel contracts here</a>'
    link = re.search(footer, receipt.alternatives[0][0])
    mail.outbox.clear()
    page.set_viewport_size(PHONE)
    # From the receipt's footer to the public pages, whose footer offers the
    # withdrawal while the order is inside its period.
    page.goto(live_server.url + link.group(1))
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


# The labels the law names (§ 312k BGB; Art. 11a CRD and § 356a BGB), exactly.
GERMAN = {
    "Cancel contracts here": "Verträge hier kündigen",
    "Cancel now": "jetzt kündigen",
    "Withdraw from contract here": "Vertrag widerrufen",
    "Confirm withdrawal": "Widerruf bestätigen",
}


@pytest.fixture
def german_vendor(vendor):
    """Northwind as a German shop whose hub speaks German only."""
    vendor.locale = "de"
    vendor.country = "DE"
    vendor.timezone = "Europe/Berlin"
    vendor.languages = ["de"]
    vendor.save()
    return vendor


def de(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


def test_in_german_from_a_receipts_footer_to_both_emailed_confirmations(
    live_server, page, german_vendor, alice
):
    order = OrderFactory(customer=alice, number="ORD-4242", product="Pro Kurs")
    payment = PaymentFactory(order=order)
    assert payment_receipt_send(payment_id=payment.pk)
    [receipt] = mail.outbox
    assert receipt.extra_headers["Content-Language"] == "de"
    html = receipt.alternatives[0][0]
    footer = r'<a href="http://testserver(/[^"]+/cancel/(?:\?lang=de)?)"[^>]*>([^<]+)</a>'
    link = re.search(footer, html)
    assert link and link.group(2) == "Verträge hier kündigen"
    mail.outbox.clear()

    # The cancellation: the page itself is the confirmation page.
    page.goto(live_server.url + link.group(1))
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.get_by_role("heading", level=1)).to_have_text("Verträge hier kündigen")
    expect(page.locator(".site-footer a.footer-rights")).to_have_text("Verträge hier kündigen")
    assert axe_violations(page) == []
    button = page.get_by_role("button", name="jetzt kündigen", exact=True)
    expect(button).to_have_text("jetzt kündigen")
    page.get_by_label(de("Ordinary cancellation"), exact=True).check()
    page.get_by_label(re.compile("^" + de("Name"))).fill("Alice Adams")
    page.get_by_label(re.compile("^" + de("Email"))).fill("alice@example.com")
    page.get_by_label(re.compile("^" + de("Order ID"))).fill("ORD-4242")
    page.get_by_label(de("As soon as possible")).check()
    button.click()
    received = de("Your cancellation was received")
    expect(page.get_by_role("heading", level=1)).to_have_text(received)
    assert "/cancel/done/" in page.url and "/access/" not in page.url
    expect(page.locator(".declaration")).to_contain_text("ORD-4242")
    expect(page.locator(".declaration")).to_contain_text("Europe/Berlin")
    assert axe_violations(page) == []
    [confirmation] = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert confirmation.extra_headers["Content-Language"] == "de"
    assert confirmation.subject == de("Your cancellation was received by %(name)s") % {
        "name": german_vendor.name
    }
    assert "ORD-4242" in confirmation.body and "Europe/Berlin" in confirmation.body
    mail.outbox.clear()

    # The withdrawal, from the same page's footer, in two steps.
    page.locator(".site-footer").get_by_role("link", name="Vertrag widerrufen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vertrag widerrufen")
    assert axe_violations(page) == []
    page.get_by_label(re.compile("^" + de("Name"))).fill("Alice Adams")
    page.get_by_label(re.compile("^" + de("Email"))).fill("alice@example.com")
    page.get_by_label(re.compile("^" + de("Order ID"))).fill("ORD-4242")
    page.get_by_role("button", name=de("Continue")).click()
    confirm = page.get_by_role("button", name="Widerruf bestätigen", exact=True)
    expect(confirm).to_have_text("Widerruf bestätigen")
    assert axe_violations(page) == []
    confirm.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(de("Your withdrawal was received"))
    expect(page.locator(".declaration")).to_contain_text("ORD-4242")
    [ack] = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert ack.extra_headers["Content-Language"] == "de"
    assert ack.subject == de("Your withdrawal was received by %(name)s") % {
        "name": german_vendor.name
    }
    assert "ORD-4242" in ack.body and "Europe/Berlin" in ack.body


def test_the_german_catalog_holds_the_statutory_labels_word_for_word():
    for english, german in GERMAN.items():
        assert de(english) == german, english
