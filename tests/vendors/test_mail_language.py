"""Every email is built in its recipient's language, decided when the mail
is built: the customer's stored choice, else the language of the page it was
asked from (the access form), else the vendor's. Staff pressing Send Profile
Link get the customer's language, not their own. Links in the email carry
the language, so the page they open speaks it too."""

import ast
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from billing.cancellation import subscription_canceled_notify, subscription_kept_notify
from billing.cards import card_updated_notify
from billing.documents.receipts import payment_failed_notify, payment_receipt_send
from billing.services import customer_email_changed_notify
from magiclinks.email_changes import email_change_send
from magiclinks.services import access_link_send, card_link_send, profile_link_send
from rights.cancellations import declaration_confirm_send, request_rejected_notify
from rights.models import CancellationDeclaration, Reminder, WithdrawalDeclaration
from rights.reminders import reminder_send
from rights.withdrawals import withdrawal_confirm_send
from tests.factories import AuditEventFactory, PaymentFactory, SubscriptionFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def vendor(vendor):
    """Northwind as a German vendor offering German, English and French."""
    vendor.locale = "de"
    vendor.country = "DE"
    vendor.default_currency = "EUR"
    vendor.languages = ["de", "en", "fr"]
    vendor.save()
    return vendor


def built_in(message) -> str:
    """The language the message was built in, as it declares it: the
    Content-Language header and the HTML part's <html lang> agree."""
    html = message.alternatives[0][0]
    declared = re.search(r'<html lang="([^"]+)" dir="ltr">', html).group(1)
    assert message.extra_headers["Content-Language"] == declared
    return declared


def our_links(message, site_url) -> list[str]:
    found = re.findall(re.escape(site_url) + r"[^\s\"<>]*", message.body)
    return [link for link in found if "/updateinfo/" in link]


def request_id() -> str:
    return str(uuid.uuid4())


def send_every_email(customer, django_capture_on_commit_callbacks) -> None:
    """Each email the app sends to a customer, through its own builder."""
    subscription = SubscriptionFactory(customer=customer, amount=Decimal("1234.56"))
    paid = PaymentFactory(
        order__customer=customer, amount=Decimal("1234.56"), currency="EUR", invoice=False
    )
    failed = PaymentFactory(
        order__customer=customer, status="failed", failure_message="Declined", invoice=False
    )
    payment_receipt_send(payment_id=paid.pk)
    payment_failed_notify(payment_id=failed.pk)
    card_updated_notify(subscription=subscription)
    subscription_kept_notify(
        event=AuditEventFactory(
            vendor=customer.vendor, customer=customer, subscription=subscription
        )
    )
    subscription.cancel_requested_at = subscription.canceled_at = datetime(2026, 12, 7, tzinfo=UTC)
    subscription_canceled_notify(subscription=subscription)
    customer_email_changed_notify(customer=customer, previous_email="old@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        email_change_send(request_id=request_id(), customer=customer, new_email="new@example.com")
    access_link_send(
        request_id=request_id(),
        vendor=customer.vendor,
        email=customer.email,
        binding_hash="",
        ip=None,
    )
    card_link_send(request_id=request_id(), customer=customer, ip=None, next_path="")
    profile_link_send(request_id=request_id(), customer=customer)
    # The public rights pages: a declaration speaks the language of the page
    # it was made on (the customer's choice here, else the vendor's).
    declared = {
        "vendor": customer.vendor,
        "created_at": datetime(2026, 12, 7, tzinfo=UTC),
        "name": customer.name,
        "email": customer.email,
        "order_number": "ORD-1",
        "language": customer.language,
    }
    cancellation = CancellationDeclaration.objects.create(
        **declared, kind="ordinary", when="asap", token_hash=request_id()
    )
    declaration_confirm_send(declaration=cancellation)
    request_rejected_notify(declaration=cancellation)
    withdrawal = WithdrawalDeclaration.objects.create(**declared, token_hash=request_id())
    withdrawal_confirm_send(declaration=withdrawal)
    for kind in Reminder.Kind.values:
        reminder = Reminder.objects.create(
            vendor=customer.vendor,
            subscription=subscription,
            kind=kind,
            event_at=datetime(2026, 12, 14, tzinfo=UTC),
            amount=subscription.amount,
            currency=subscription.currency,
        )
        reminder_send(reminder=reminder)


EVERY_TEMPLATE = {
    "receipt",
    "payment_failed",
    "card_updated",
    "subscription_kept",
    "subscription_canceled",
    "email_changed",
    "email_change_confirm",
    "access_link",
    "profile_link",
    "cancellation_declared",
    "cancellation_rejected",
    "withdrawal_received",
    *(f"reminder_{kind}" for kind in Reminder.Kind.values),
}
# To the vendor's support address, in the vendor's language (tests/rights).
VENDOR_TEMPLATES = {"cancellation_request_vendor", "withdrawal_vendor"}
EMAILS_SENT = 10 + 3 + len(Reminder.Kind.values)


def test_every_email_speaks_the_customers_chosen_language(
    vendor, alice, settings, django_capture_on_commit_callbacks
):
    alice.language = "fr"
    alice.save()
    send_every_email(alice, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == EMAILS_SENT
    for message in mail.outbox:
        assert built_in(message) == "fr", message.subject
        for link in our_links(message, settings.SITE_URL):
            assert link.endswith("lang=fr"), (message.subject, link)
    receipt = mail.outbox[0]
    assert "1\u202f234,56\xa0€" in receipt.body  # French notation of the amount


def test_without_a_choice_every_email_speaks_the_vendors_language(
    vendor, alice, django_capture_on_commit_callbacks
):
    send_every_email(alice, django_capture_on_commit_callbacks)
    assert [built_in(message) for message in mail.outbox] == ["de"] * EMAILS_SENT
    assert "1.234,56\xa0€" in mail.outbox[0].body


def test_the_emails_cover_every_template(vendor, alice, django_capture_on_commit_callbacks):
    """The two tests above send one of each: a new email template must be
    added to send_every_email."""
    templates = {
        path.name.removesuffix("_subject.txt")
        for path in (ROOT / "templates" / "emails").glob("*_subject.txt")
    }
    assert templates == EVERY_TEMPLATE | VENDOR_TEMPLATES


def test_a_stored_language_the_vendor_no_longer_offers_gives_the_vendors(vendor, alice):
    alice.language = "es"
    alice.save()
    profile_link_send(request_id=request_id(), customer=alice)
    assert built_in(mail.outbox[0]) == "de"


def test_the_access_email_speaks_the_language_of_the_page_it_was_asked_from(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            f"{vendor.hub_path}access/",
            {"email": alice.email},
            headers={"accept-language": "fr"},
        )
    assert page["Content-Language"] == "fr"
    [message] = mail.outbox
    assert built_in(message) == "fr"
    with translation.override("fr"):
        assert translation.gettext("Sign in to my customer hub") in message.alternatives[0][0]


def test_the_customers_stored_choice_beats_the_pages_language(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{vendor.hub_path}access/", {"email": alice.email}, headers={"accept-language": "fr"}
        )
    assert built_in(mail.outbox[0]) == "en"


def test_the_link_in_the_email_opens_the_hub_in_the_emails_language(
    client, vendor, alice, django_capture_on_commit_callbacks, settings
):
    alice.language = "fr"
    alice.save()
    profile_link_send(request_id=request_id(), customer=alice)
    # The hub link, and the footer's public cancellation page (§ 312k BGB).
    [link] = {x for x in our_links(mail.outbox[0], settings.SITE_URL) if "/cancel/" not in x}
    page = client.get(link.removeprefix(settings.SITE_URL), headers={"accept-language": "en"})
    assert page.status_code == 200
    assert page["Content-Language"] == "fr"


def test_send_profile_link_speaks_the_customers_language_not_the_staffs(
    staff_client, vendor, alice, django_capture_on_commit_callbacks
):
    send_url = reverse("admin:billing_customer_send_profile_link", args=[alice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            send_url, {"confirm": "yes"}, headers={"accept-language": "fr"}
        )
    assert response.status_code == 302
    assert response["Content-Language"] == "fr"  # the admin speaks the staff's language
    assert built_in(mail.outbox[0]) == "de"  # the email the customer's (the vendor's here)


def test_the_api_profile_link_speaks_the_customers_language(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    from vendors.api_keys import api_key_create

    alice.language = "en"
    alice.save()
    _, secret = api_key_create(vendor=vendor, name="site")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/profile-links",
            {"email": alice.email},
            content_type="application/json",
            headers={"authorization": f"Bearer {secret}", "accept-language": "fr"},
        )
    assert response.status_code == 202
    assert built_in(mail.outbox[0]) == "en"


def test_every_mail_send_in_the_app_says_the_language():
    """mail_send falls back to the vendor's language; every caller in the
    app decides the recipient's instead (a splat of keywords is checked at
    the call that builds it)."""
    missing = []
    for folder in ("billing", "magiclinks", "vendors", "hub"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name not in ("mail_send", "_access_link_mail"):
                    continue
                keywords = {keyword.arg for keyword in node.keywords}
                if "language" not in keywords and None not in keywords:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []


def test_the_vendors_product_names_carry_its_language_in_an_email_in_another(vendor, alice):
    """WCAG 3.1.2 in the HTML part (issue 28 point 5): a German vendor's
    "Monatsabo" in an English email is read with German rules."""
    alice.language = "en"
    alice.save()
    subscription = SubscriptionFactory(customer=alice, product="Monatsabo")
    paid = PaymentFactory(order__customer=alice, order__product="Jahresabo", currency="EUR")
    failed = PaymentFactory(
        order__customer=alice,
        order__subscription=subscription,
        subscription=subscription,
        status="failed",
        invoice=False,
    )
    payment_receipt_send(payment_id=paid.pk)
    payment_failed_notify(payment_id=failed.pk)
    card_updated_notify(subscription=subscription)
    subscription_kept_notify(
        event=AuditEventFactory(vendor=vendor, customer=alice, subscription=subscription)
    )
    subscription.cancel_requested_at = subscription.canceled_at = datetime(2026, 12, 7, tzinfo=UTC)
    subscription_canceled_notify(subscription=subscription)
    assert len(mail.outbox) == 5
    marked = {"Jahresabo": '<span lang="de">Jahresabo</span>'}
    marked["Monatsabo"] = '<span lang="de">Monatsabo</span>'
    for message in mail.outbox:
        assert built_in(message) == "en"
        html = message.alternatives[0][0]
        body = html.split("<body", 1)[1]
        product = "Jahresabo" if "Jahresabo" in body else "Monatsabo"
        assert marked[product] in body, message.subject
        # Every time the name is shown in the body, it is marked.
        assert body.count(product) == body.count(marked[product]), message.subject
