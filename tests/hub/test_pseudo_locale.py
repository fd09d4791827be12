"""Issue 23's check that cannot be fooled: every word a customer reads comes
from our catalog.

A catalog is extracted from the source at test time (makemessages, as
`make messages` runs it) and compiled with every translation its original
in markers ("⟦Save⟧"); the demo's vendors speak that pseudo language. Then
every hub page (signed out and signed in, for every demo customer), every
email (subject, text, HTML) and every invoice and credit-note PDF's HTML is
rendered, and any visible word outside the markers fails the test, once the
data is taken away: the rows' own text (names, products, addresses), and
amounts, dates, emails and paths by pattern. Marked text must be a message
of the catalog, and what fills its placeholders is judged like the rest (a
raw English word inside a translated sentence fails too). See
tests/support/catalogs.py.

It fails when an unmarked string is added: test_an_unmarked_string_is_found
renders a page with one and expects this test's finder to name it.
"""

import uuid
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.mofile import read_mo
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import translation

from billing.documents.pdf import credit_note_pdf_html, invoice_pdf_html
from billing.models import AuditEvent, CreditNote, Customer, Invoice, Payment, Subscription
from tests.browser.hub_pages import page_paths
from tests.conftest import sign_in
from tests.magiclinks.fixtures import LINK_RE, _rate_limits_isolated  # noqa: F401
from tests.support.catalogs import (
    OPEN,
    PSEUDO,
    MessageShapes,
    data_strings,
    django_messages,
    pseudo_catalog,
    unmarked,
    visible_text,
)
from vendors.fields import EncryptedTextField
from vendors.models import Vendor

EMAILS_DIR = Path(__file__).resolve().parents[2] / "templates" / "emails"
DEMO_EMAILS = [
    ("demo", "alex@example.com"),
    ("demo", "blair@example.com"),
    ("demo", "casey@example.com"),
    ("demo", "dana@example.com"),
    ("demo", "eli@example.com"),
    ("acme", "alex@example.com"),
]


@pytest.fixture(scope="session")
def pseudo_locale(extracted, tmp_path_factory) -> Path:
    """LOCALE_PATHS holding only the pseudo catalog, built from a fresh
    extraction of the source (and Django's own messages)."""
    pseudo = tmp_path_factory.mktemp("pseudo")
    for po_path in sorted((extracted / PSEUDO / "LC_MESSAGES").glob("*.po")):
        also = django_messages() if po_path.name == "django.po" else ()
        pseudo_catalog(po_path, pseudo, also=also)
    return pseudo


def shapes(locale_dir: Path) -> MessageShapes:
    """The messages of the pseudo catalog (ours and Django's)."""
    msgids = []
    for mo_path in (locale_dir / PSEUDO / "LC_MESSAGES").glob("*.mo"):
        with mo_path.open("rb") as handle:
            for message in read_mo(handle):
                if message.id:
                    ids = message.id if isinstance(message.id, tuple | list) else [message.id]
                    msgids.extend(ids)
    return MessageShapes(msgids)


@pytest.fixture
def speaking_pseudo(settings, pseudo_locale):
    settings.LOCALE_PATHS = [pseudo_locale]
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]


@pytest.fixture
def demo(transactional_db, settings, stripe_api, paypal_api):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False


def data() -> list[str]:
    """The rows' own words, and what CLDR names (countries: babel's, not ours)."""
    models = [m for m in apps.get_models() if m._meta.app_label in ("vendors", "billing")]
    countries = list(Locale("en").territories.values())
    # Names of brands and services are the same in every language.
    names = ["Visa", "Mastercard", "PayPal", "Stripe", "Facebook", "Instagram", "LinkedIn"]
    names += ["PDF", "IP", "CSV"]  # the same in every language
    # A language's own name in the language menus (an autonym): never translated.
    names += [name for _, name in settings.LANGUAGES]
    # Stored secrets, which the admin shows by their last characters.
    secrets = [
        value[-4:]
        for vendor in Vendor.objects.all()
        for field in vendor._meta.concrete_fields
        if isinstance(field, EncryptedTextField) and (value := getattr(vendor, field.attname))
    ]
    # What the tests type into forms, echoed in their errors.
    typed = ["not an email", "ZZ"]
    return data_strings(models) + countries + [*names, "YouTube"] + typed + secrets


class Findings:
    def __init__(self, shapes: MessageShapes) -> None:
        self.found: dict[str, list[str]] = {}
        self.words = data()
        self.shapes = shapes

    def check(self, name: str, text: str) -> None:
        # Rendered in the pseudo language at all: else English would pass
        # for data wherever the data happens to be English.
        assert OPEN in text, f"{name} is not in the pseudo language"
        left = unmarked(text, self.words, self.shapes)
        if left:
            self.found[name] = left

    def page(self, name: str, response) -> None:
        assert response.status_code < 500, (name, response.status_code)
        self.check(name, visible_text(response.content.decode()))


def email_names() -> set[str]:
    return {path.name.removesuffix("_subject.txt") for path in EMAILS_DIR.glob("*_subject.txt")}


@pytest.mark.django_db(transaction=True)
def test_every_page_email_and_pdf_is_marked_for_translation(
    demo,
    speaking_pseudo,
    pseudo_locale,
    settings,
    _rate_limits_isolated,  # noqa: F811
):
    Vendor.objects.update(locale=PSEUDO)
    findings = Findings(shapes(pseudo_locale))
    findings.words += RIGHTS_TYPED  # what rights_emails' customer typed and staff wrote
    mail.outbox.clear()
    rendered: list[str] = []

    def record(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        signed_out(findings, settings)
        for account, email in DEMO_EMAILS:
            customer = Customer.objects.get(vendor__slug=account, email=email)
            signed_in(findings, customer)
        error_pages(findings)
        emails_triggered()
        documents(findings)
    finally:
        template_rendered.disconnect(record)

    for message in mail.outbox:
        html = next(body for body, kind in message.alternatives if kind == "text/html")
        name = f"email to {message.to[0]}: {message.subject[:40]}"
        findings.check(name + " (subject)", message.subject)
        findings.check(name + " (text)", message.body)
        findings.check(name + " (html)", visible_text(html))
    sent = {
        name.split("/")[1].removesuffix("_subject.txt")
        for name in rendered
        if name.startswith("emails/") and name.endswith("_subject.txt")
    }
    assert sent == email_names(), "every email is rendered here"
    assert findings.found == {}, "\n".join(
        f"{name}: {words}" for name, words in findings.found.items()
    )


def signed_out(findings: Findings, settings) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=PSEUDO)
    hub = "/demo/updateinfo/"
    findings.page("access form", client.get(hub))
    findings.page("access form, bad email", client.post(f"{hub}access/", {"email": "no"}))
    findings.page(
        "check email", client.post(f"{hub}access/", {"email": "alex@example.com"}, follow=True)
    )
    findings.page("code form", client.get(f"{hub}access/code/"))
    findings.page("code form, wrong code", client.post(f"{hub}access/code/", {"code": "000000"}))
    link = LINK_RE.search(mail.outbox[-1].body).group(1)
    other = Client(HTTP_ACCEPT_LANGUAGE=PSEUDO)
    findings.page("continue", other.get(link))
    other.post(link)
    findings.page("used link", Client(HTTP_ACCEPT_LANGUAGE=PSEUDO).get(link, follow=True))
    settings.HUB_ACCESS_RATE_PER_EMAIL = (1, 3600)
    client.post(f"{hub}access/", {"email": "blair@example.com"})
    findings.page("rate limited", client.post(f"{hub}access/", {"email": "blair@example.com"}))
    findings.page(
        "email link no longer valid", client.get(f"{hub}email/no-longer-valid/", follow=True)
    )
    findings.page("unknown page of a hub", client.get(f"{hub}nothing-here/"))
    findings.page("landing", client.get("/"))


def signed_in(findings: Findings, customer: Customer) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=PSEUDO)
    sign_in(client, customer)
    for path in page_paths(customer):
        findings.page(
            f"{customer.vendor.slug} {customer.email} {path}", client.get(path, follow=True)
        )
    profile = f"/{customer.vendor.slug}/updateinfo/profile/"
    findings.page(
        f"{customer.email} profile with errors",
        client.post(profile, {"name": "", "email": "not an email", "country": "ZZ"}),
    )
    # What actions answer (flash messages, the processor's refusals in our
    # words): cancel, keep, pay again, ask for a card link; then sign out.
    account = customer.vendor.slug
    for subscription in customer.subscriptions.order_by("pk"):
        for name in ("card_email_link", "card_retry", "subscription_cancel", "subscription_keep"):
            url = reverse(
                f"hub:{name}", kwargs={"account": account, "subscription_id": subscription.pk}
            )
            response = client.post(url, {"reason": "too_expensive"}, follow=True)
            if response.status_code != 404:  # not an action this subscription has
                findings.page(f"{customer.email} {name} {subscription.pk}", response)
    signout = reverse("hub:signout", kwargs={"account": account})
    findings.page(f"{customer.email} signed out", client.post(signout, follow=True))


def error_pages(findings: Findings) -> None:
    request = RequestFactory().get("/demo/updateinfo/")
    request.vendor = Vendor.objects.get(slug="demo")
    with translation.override(PSEUDO):
        for template in ("404.html", "500.html", "503.html", "403_csrf.html"):
            findings.check(template, visible_text(render_to_string(template, {}, request=request)))


def emails_triggered() -> None:
    """Every email of ours, through the services that send them."""
    from billing.cancellation import subscription_canceled_notify, subscription_kept_notify
    from billing.cards import card_updated_notify
    from billing.documents.receipts import payment_failed_notify, payment_receipt_send
    from billing.services import customer_email_changed_notify
    from magiclinks.email_changes import email_change_send
    from magiclinks.services import card_link_send, profile_link_send

    customer = Customer.objects.get(vendor__slug="demo", email="alex@example.com")
    subscription = Subscription.objects.filter(vendor__slug="demo").first()
    profile_link_send(request_id=str(uuid.uuid4()), customer=customer)
    card_link_send(
        request_id=str(uuid.uuid4()), customer=customer, ip=None, next_path="/demo/updateinfo/"
    )
    email_change_send(request_id=str(uuid.uuid4()), customer=customer, new_email="new@example.com")
    customer_email_changed_notify(customer=customer, previous_email="old@example.com")
    card_updated_notify(subscription=subscription)
    subscription_canceled_notify(subscription=subscription)
    subscription.cancel_at_period_end = True
    subscription_canceled_notify(subscription=subscription)
    event = AuditEvent.objects.create(
        vendor=subscription.vendor,
        customer=subscription.customer,
        subscription=subscription,
        actor=AuditEvent.Actor.CUSTOMER,
        action="subscription.kept",
    )
    subscription_kept_notify(event=event)
    for style in ("detailed", "basic"):
        Vendor.objects.update(receipt_style=style, send_receipts=True)
        for payment in Payment.objects.filter(status="paid", invoice__isnull=False)[:2]:
            Payment.objects.filter(pk=payment.pk).update(receipt_sent_at=None)
            payment_receipt_send(payment_id=payment.pk)
    failed = Payment.objects.filter(status="failed")
    failed.update(failure_notice_sent_at=None)
    for payment in failed:
        payment_failed_notify(payment_id=payment.pk)
    rights_emails(customer, subscription)


RIGHTS_TYPED = ["Qxz-7", "Zqv-9"]


def rights_emails(customer, subscription) -> None:
    """The public pages' emails: a cancellation's confirmation, the vendor's
    request notice and a rejection; a withdrawal's acknowledgement and notice;
    each reminder."""
    from datetime import timedelta

    from django.utils import timezone

    from rights.cancellations import (
        declaration_confirm_send,
        request_rejected_notify,
        request_vendor_notify,
    )
    from rights.models import CancellationDeclaration, Reminder, WithdrawalDeclaration
    from rights.reminders import reminder_send
    from rights.withdrawals import withdrawal_confirm_send, withdrawal_vendor_notify

    now = timezone.now()
    common = {"vendor": customer.vendor, "created_at": now, "name": customer.name}
    common |= {"email": customer.email, "order_number": "DEMO-1", "status": "open"}
    declaration = CancellationDeclaration.objects.create(
        **common, kind="extraordinary", reason=RIGHTS_TYPED[0], when="asap", token_hash="pseudo-c",
        rejection_message=RIGHTS_TYPED[1], subscription=subscription,
    )  # fmt: skip
    declaration_confirm_send(declaration=declaration)
    request_vendor_notify(declaration=declaration)
    request_rejected_notify(declaration=declaration)
    withdrawal = WithdrawalDeclaration.objects.create(**common, token_hash="pseudo-w")
    withdrawal_confirm_send(declaration=withdrawal)
    withdrawal_vendor_notify(declaration=withdrawal)
    for days, kind in enumerate(Reminder.Kind.values, start=1):
        reminder = Reminder.objects.create(
            vendor=subscription.vendor, subscription=subscription, kind=kind,
            event_at=now + timedelta(days=days), amount=subscription.amount,
            currency=subscription.currency,
        )  # fmt: skip
        reminder_send(reminder=reminder)


def documents(findings: Findings) -> None:
    invoices = Invoice.objects.select_related("vendor", "payment")
    credit_notes = CreditNote.objects.select_related("vendor")
    assert invoices and credit_notes
    for invoice in invoices:
        findings.check(f"invoice {invoice.number}", visible_text(invoice_pdf_html(invoice=invoice)))
    for note in credit_notes:
        findings.check(
            f"credit note {note.number}", visible_text(credit_note_pdf_html(credit_note=note))
        )


# Django's admin's own unmarked words (search_form.html's alt="Search", a
# boolean's alt="True"): not ours to mark.
DJANGO_UNMARKED = ["Search", "True", "False"]


@pytest.mark.django_db(transaction=True)
def test_our_admin_pages_are_marked_for_translation(demo, speaking_pseudo, pseudo_locale):
    """A vendor's staff read our admin (the models we register, their fields,
    actions and pages) in their language; Django's own words come from its
    catalogs. Walked as the demo's superuser, who may open every page."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    findings = Findings(shapes(pseudo_locale))
    findings.words += [*get_user_model().objects.values_list("username", flat=True)]
    findings.words += DJANGO_UNMARKED
    superuser = get_user_model().objects.get(username="demo-admin")
    client = Client(HTTP_ACCEPT_LANGUAGE=PSEUDO)
    client.force_login(superuser)
    findings.page("admin index", client.get("/admin/"))
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("vendors", "billing", "magiclinks"):
            continue
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"admin:{info}_changelist")
        findings.page(changelist, client.get(changelist))
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            change = reverse(f"admin:{info}_change", args=[first.pk])
            findings.page(change, client.get(change))
    assert findings.found == {}, "\n".join(
        f"{name}: {words}" for name, words in findings.found.items()
    )


def test_the_finder_names_the_words_no_catalog_produced():
    page = (
        "<html><head><title>⟦Purchases⟧ · Northwind</title></head><body>"
        "<h1>⟦Hello, Alice Adams⟧</h1><p>Paid on Dec 7, 2026: $1,234.56</p>"
        '<button aria-label="Close">×</button><input type="submit" value="⟦Save⟧">'
        '<script type="application/json">{"a": "⟦Declined⟧", "b": "Try again"}</script>'
        "<p>⟦Status: active⟧</p><p>⟦Made up here⟧</p>"
        "<p>Write to alice@example.com</p></body></html>"
    )
    shapes = MessageShapes(["Purchases", "Hello, %(name)s", "Save", "Declined", "Status: %s"])
    assert unmarked(visible_text(page), ["Northwind", "Alice Adams"], shapes) == [
        "⟦Made up here⟧ is no message of the catalog",
        "Paid on  :",
        "Close",
        "Try again",
        "active",
        "Write to",
    ]


def test_an_unmarked_string_is_found(speaking_pseudo, pseudo_locale):
    """The test above fails when an unmarked string is added: a template with
    marked strings (in the extracted catalog), one unmarked, and one marked
    sentence holding an unmarked word."""
    page = Template(
        "{% load i18n %}<h1>{% translate 'Skip to content' %}</h1><p>Not marked yet</p>"
        "<p>{% blocktranslate with name='Raw words' %}Hello, {{ name }}{% endblocktranslate %}</p>"
    )
    with translation.override(PSEUDO):
        html = page.render(Context())
    assert "⟦Skip to content⟧" in html
    assert unmarked(visible_text(html), [], shapes(pseudo_locale)) == [
        "Not marked yet",
        "Raw words",
    ]
