"""A payment or subscription the processor did not name is stored with our
English word for it ("Purchase", "Subscription": billing.products); a
German, French or Spanish customer reads that word in their language on every
page, email and invoice that names the product. A vendor's own product name
is shown as the vendor wrote it, in the vendor's language."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from billing.cancellation import subscription_canceled_notify
from billing.documents.pdf import invoice_pdf_html
from billing.documents.receipts import payment_receipt_send
from billing.products import PURCHASE, SUBSCRIPTION
from tests.factories import PaymentFactory, SubscriptionFactory
from tests.support.catalogs import visible_text

HUB = "/northwind/updateinfo/"
WORDS = {
    "de": ("Kauf", "Abonnement"),
    "fr": ("Achat", "Abonnement"),
    "es": ("Compra", "Suscripción"),
}


@pytest.fixture
def vendor(vendor):
    vendor.languages = ["en", "de", "fr", "es"]
    vendor.send_receipts = True
    vendor.document_language = vendor.DocumentLanguage.CUSTOMER
    vendor.save()
    return vendor


def english(text: str) -> list[str]:
    return re.findall(rf"\b({PURCHASE}|{SUBSCRIPTION})\b", text)


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_our_fallback_names_are_shown_in_the_customers_language(
    alice_client, alice, vendor, language
):
    alice.language = language
    alice.save()
    purchase, subscription = WORDS[language]
    payment = PaymentFactory(order__customer=alice, order__product=PURCHASE, amount=Decimal("12"))
    unnamed = SubscriptionFactory(customer=alice, product=SUBSCRIPTION)
    pages = {
        path: visible_text(alice_client.get(HUB + path).content.decode())
        for path in ("", "purchases/", "subscriptions/", f"subscriptions/{unnamed.pk}/cancel/")
    }
    invoice = visible_text(invoice_pdf_html(invoice=payment.invoice))
    mail.outbox.clear()
    payment_receipt_send(payment_id=payment.pk)
    subscription_canceled_notify(subscription=unnamed)
    receipt, canceled = mail.outbox
    assert purchase in pages["purchases/"] and purchase in invoice
    assert purchase in receipt.body and purchase in visible_text(receipt.alternatives[0][0])
    assert subscription in pages["subscriptions/"] and subscription in canceled.subject
    assert subscription in pages[f"subscriptions/{unnamed.pk}/cancel/"]
    shown = [*pages.values(), invoice, receipt.subject, receipt.body, canceled.subject]
    shown += [canceled.body, visible_text(canceled.alternatives[0][0])]
    assert [english(text) for text in shown] == [[]] * len(shown)


def test_our_names_carry_no_vendor_language_but_the_vendors_names_do(alice_client, alice, vendor):
    vendor.locale = "de"
    vendor.save()
    alice.language = "fr"
    alice.save()
    PaymentFactory(order__customer=alice, order__product=PURCHASE)
    PaymentFactory(order__customer=alice, order__product="Jahresabo")
    SubscriptionFactory(customer=alice, product=SUBSCRIPTION)
    purchases = alice_client.get(f"{HUB}purchases/").content.decode()
    assert re.search(r'<td class="purchases__product"[^>]*lang="de"[^>]*>Jahresabo<', purchases)
    assert re.search(r'<td class="purchases__product" data-label="[^"]+">Achat<', purchases)
    subscriptions = alice_client.get(f"{HUB}subscriptions/").content.decode()
    assert re.search(r"<h2 [^>]*>Abonnement</h2>", subscriptions)


def test_in_english_they_read_as_stored(alice_client, alice, vendor):
    PaymentFactory(order__customer=alice, order__product=PURCHASE)
    with translation.override("en"):
        assert PURCHASE in visible_text(alice_client.get(f"{HUB}purchases/").content.decode())
