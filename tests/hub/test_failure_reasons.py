"""Stripe words a decline in English ("Your card was declined.") and the sync
stores it as sent: a German, French or Spanish customer reads Stripe's
documented decline sentences in their language (billing.failures), and any
other processor text only in English, never quoted into a German page or
email."""

import pytest
from django.core import mail
from django.utils import translation

from billing.documents.receipts import payment_failed_notify
from billing.failures import KNOWN, failure_reason
from tests.factories import PaymentFactory, SubscriptionFactory
from tests.support.catalogs import visible_text

HUB = "/northwind/updateinfo/"
DECLINED = {
    "de": "Ihre Karte wurde abgelehnt.",
    "fr": "Votre carte a été refusée.",
    "es": "Su tarjeta fue rechazada.",
}


@pytest.fixture
def vendor(vendor):
    vendor.languages = ["en", "de", "fr", "es"]
    vendor.save()
    return vendor


def failed(alice, message: str):
    sub = SubscriptionFactory(customer=alice, product="Late Plan", status="past_due")
    return PaymentFactory(
        order__customer=alice,
        order__subscription=sub,
        subscription=sub,
        status="failed",
        failure_message=message,
        invoice=False,
    )


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_stripes_decline_reads_in_the_customers_language(alice_client, alice, vendor, language):
    alice.language = language
    alice.save()
    payment = failed(alice, "Your card was declined.")
    page = visible_text(alice_client.get(f"{HUB}subscriptions/").content.decode())
    assert DECLINED[language] in page and "Your card was declined." not in page
    mail.outbox.clear()
    payment_failed_notify(payment_id=payment.pk)
    [email] = mail.outbox
    assert DECLINED[language] in email.body and "Your card was declined." not in email.body


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_a_reason_we_do_not_know_is_never_quoted_in_another_language(
    alice_client, alice, vendor, language
):
    alice.language = language
    alice.save()
    payment = failed(alice, "Do not honor (05).")
    page = visible_text(alice_client.get(f"{HUB}subscriptions/").content.decode())
    with translation.override(language):
        generic = translation.gettext("The payment was declined.")
    assert generic in page and "Do not honor" not in page
    mail.outbox.clear()
    payment_failed_notify(payment_id=payment.pk)
    [email] = mail.outbox
    assert "Do not honor" not in email.body


def test_in_english_the_processors_words_are_shown_as_sent(alice_client, alice, vendor):
    failed(alice, "Do not honor (05).")
    with translation.override("en"):
        assert "Do not honor (05)." in alice_client.get(f"{HUB}subscriptions/").content.decode()


def test_every_known_decline_has_a_translation_in_every_catalog():
    for language in ("de", "fr", "es"):
        with translation.override(language):
            missing = [text for text in KNOWN if failure_reason(text) == text]
        assert missing == [], language
