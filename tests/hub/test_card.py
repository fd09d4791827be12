"""/subscriptions/<id>/card/: the Stripe card update (SetupIntent made on the
page's POST to card/setup/, checked with Stripe before use) and PayPal's way
out, against localstripe and the fake PayPal. The browser side (Stripe.js,
declines, 3-D Secure) is in tests/browser/test_card.py."""

import json
import re

import pytest
import requests
from django.core import mail
from django.test import Client

from billing.cards import card_error_message
from billing.models import AuditEvent, Subscription
from billing.processors.adapters import adapter_for
from billing.provisioning import stripe_customer_ensure
from magiclinks.models import AccessLink
from tests.conftest import sign_in
from tests.factories import CustomerFactory, SubscriptionFactory
from tests.support.processor_fixtures import (
    hub_setup_intent,
    paypal_subscription,
    stripe_confirm_setup_intent,
    stripe_subscription,
)

BASE = "/northwind/updateinfo/subscriptions"


def card_url(sub) -> str:
    return f"{BASE}/{sub.pk}/card/"


@pytest.fixture
def stripe_sub(stripe_vendor, alice):
    return stripe_subscription(alice)


def setup_url(sub) -> str:
    return f"{BASE}/{sub.pk}/card/setup/"


def test_the_card_page_names_the_account_and_loads_stripe_only_there(
    alice_client, stripe_sub, stripe_api
):
    response = alice_client.get(card_url(stripe_sub))
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice@example.com" in html and "Pro Membership" in html
    assert "ending in 4242" in html
    assert f'data-setup-url="{setup_url(stripe_sub)}"' in html
    assert f'<script src="{stripe_api}/js.stripe.com/v3/">' in html
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self' 'nonce-" in csp
        and stripe_api in csp.split("script-src")[1].split(";")[0]
    )
    assert stripe_api in csp.split("frame-src")[1].split(";")[0]
    assert stripe_api in csp.split("connect-src")[1].split(";")[0]
    assert response["Cache-Control"] == "no-store, private"


@pytest.mark.parametrize("page", ["", "subscriptions/", "purchases/", "contact/", "profile/"])
def test_every_other_page_keeps_stripe_out_of_its_csp(alice_client, stripe_api, page):
    response = alice_client.get(f"/northwind/updateinfo/{page}")
    csp = response["Content-Security-Policy"]
    assert stripe_api not in csp and "stripe" not in csp
    assert "frame-src 'none'" in csp and "connect-src 'self';" in csp


def test_a_confirmed_card_becomes_the_subscriptions_card(
    alice_client, stripe_sub, stripe_api, django_capture_on_commit_callbacks
):
    intent_id = hub_setup_intent(alice_client, stripe_sub)
    stripe_confirm_setup_intent(stripe_api, intent_id, "pm_card_mastercard")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(card_url(stripe_sub), {"setup_intent": intent_id})
    assert response.status_code == 302 and response["Location"].endswith("/card/updated/")
    stripe_sub.refresh_from_db()
    assert stripe_sub.card_last4 == "4444" and stripe_sub.card_brand == "mastercard"
    assert stripe_sub.payment_method_id.startswith("pm_")
    remote = adapter_for(vendor=stripe_sub.vendor, processor="stripe").subscription_get(
        subscription_id=stripe_sub.processor_id
    )
    assert remote.default_payment_method_id == stripe_sub.payment_method_id
    event = AuditEvent.objects.get(action="card.updated")
    assert event.subscription == stripe_sub and event.details["last4"] == "4444"
    [email] = mail.outbox
    assert "ending in 4444" in email.body and email.to == ["alice@example.com"]
    page = alice_client.get(response["Location"]).content.decode()
    assert "Your card is updated" in page and "ending in 4444" in page


def test_a_setup_intent_of_another_customer_changes_nothing(
    alice_client, stripe_sub, stripe_api, vendor
):
    mallory = CustomerFactory(vendor=vendor, email="mallory@example.com")
    other = stripe_subscription(mallory)
    sign_in(alice_client, mallory)
    intent_id = hub_setup_intent(alice_client, other)
    stripe_confirm_setup_intent(stripe_api, intent_id, "pm_card_mastercard")
    sign_in(alice_client, stripe_sub.customer)
    response = alice_client.post(card_url(stripe_sub), {"setup_intent": intent_id})
    assert response.status_code == 200
    assert "does not belong to this account" in response.content.decode()
    stripe_sub.refresh_from_db()
    assert stripe_sub.card_last4 == "4242"
    assert not AuditEvent.objects.filter(action="card.updated").exists()


def test_an_unconfirmed_setup_intent_changes_nothing(alice_client, stripe_sub):
    intent_id = hub_setup_intent(alice_client, stripe_sub)
    response = alice_client.post(card_url(stripe_sub), {"setup_intent": intent_id})
    assert "Your card could not be saved, so nothing was changed." in response.content.decode()
    stripe_sub.refresh_from_db()
    assert stripe_sub.card_last4 == "4242"


def test_a_declined_card_is_told_in_our_words_with_the_next_step(
    alice_client, stripe_sub, stripe_api
):
    intent_id = hub_setup_intent(alice_client, stripe_sub)
    declined = requests.post(
        f"{stripe_api}/v1/setup_intents/{intent_id}/confirm",
        data={"payment_method": "pm_card_visa_chargeDeclined"},
        auth=("sk_test_northwind", ""),
        timeout=5,
    )
    assert declined.status_code == 402  # Stripe's "Your card was declined." travels with it
    response = alice_client.post(card_url(stripe_sub), {"setup_intent": intent_id})
    page = response.content.decode()
    assert "Check the card details and try again; if your bank asks you to confirm" in page
    assert declined.json()["error"]["message"] not in page
    # The page says it failed in its title too (WCAG 2.4.2).
    assert "<title>Error: Update card · Northwind Courses</title>" in page
    stripe_sub.refresh_from_db()
    assert stripe_sub.card_last4 == "4242"


@pytest.mark.parametrize(
    "code,words",
    [
        ("card_declined", "Try another card, or ask your bank why it was declined"),
        ("insufficient_funds", "Try another card, or ask your bank why it was declined"),
        ("authentication_required", "complete the check your bank shows, or use another card"),
        ("setup_intent_authentication_failure", "complete the check your bank shows"),
        ("expired_card", "Use a card that is still valid."),
        ("incorrect_cvc", "the 3 or 4 digits on your card"),
        ("something_new", "Check the card details and try again; if your bank asks you to confirm"),
    ],
)
def test_each_card_error_gets_plain_words_and_a_next_step(code, words):
    assert words in card_error_message(code)


def test_the_card_form_carries_the_words_for_the_browser(alice_client, stripe_sub):
    html = alice_client.get(card_url(stripe_sub)).content.decode()
    found = re.search(
        r'<script id="card-error-messages" type="application/json">(.*?)</script>', html
    )
    messages = json.loads(found.group(1))
    assert messages["card_declined"] == card_error_message("card_declined")
    assert messages["default"] == card_error_message("")
    # No stray error sign: the error paragraph is there (a live region) but empty.
    assert '<p class="error" id="card-errors" role="alert" aria-live="assertive"></p>' in html


def test_a_malformed_setup_intent_id_is_a_form_error(alice_client, stripe_sub):
    response = alice_client.post(card_url(stripe_sub), {"setup_intent": "x\x00y"})
    assert response.status_code == 200
    assert "enter your card again" in response.content.decode()


def test_when_stripe_refuses_it_offers_an_emailed_link(
    alice_client, stripe_vendor, stripe_api, alice, django_capture_on_commit_callbacks
):
    stripe_customer_ensure(customer=alice)
    # Stripe knows the customer but refuses to touch this subscription.
    sub = SubscriptionFactory(customer=alice, processor_id="sub_unknown_at_stripe")
    intent_id = hub_setup_intent(alice_client, sub)
    stripe_confirm_setup_intent(stripe_api, intent_id, "pm_card_mastercard")
    response = alice_client.post(card_url(sub), {"setup_intent": intent_id})
    html = response.content.decode()
    assert "Email me a secure link to update my card" in html
    sub.refresh_from_db()
    assert sub.card_last4 == "4242"
    assert "Nothing was changed" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"{BASE}/{sub.pk}/card/email-link/")
    assert response.status_code == 302
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    link = AccessLink.objects.get(customer=alice)
    assert link.next_path == card_url(sub)


def test_paypal_subscriptions_are_sent_to_paypal(alice_client, paypal_vendor, paypal_api, alice):
    sub = paypal_subscription(alice, paypal_api)
    listing = alice_client.get(f"{BASE}/").content.decode()
    assert "Manage on PayPal" in listing and "Update card" not in listing
    response = alice_client.get(card_url(sub))
    html = response.content.decode()
    assert f'href="{paypal_api}/myaccount/autopay/"' in html
    # Titled for what it is: no card is updated here (WCAG 2.4.2).
    assert f"<title>Payment for {sub.product} · Northwind Courses</title>" in html
    assert "stripe" not in response["Content-Security-Policy"]
    assert alice_client.post(card_url(sub), {"setup_intent": "seti_123"}).status_code == 200


@pytest.mark.parametrize("status", ["canceled", "paused"])
def test_a_subscription_that_no_longer_charges_has_no_card_page(alice_client, alice, status):
    sub = SubscriptionFactory(customer=alice, status=status)
    assert alice_client.get(card_url(sub)).status_code == 404


@pytest.mark.parametrize(
    "path", ["card/", "card/setup/", "card/updated/", "card/retry/", "card/email-link/"]
)
def test_another_customers_card_pages_are_404(client, vendor, bob, alice, acme_alice, path):
    sign_in(client, bob)
    for sub in (SubscriptionFactory(customer=alice), SubscriptionFactory(customer=acme_alice)):
        assert client.get(f"{BASE}/{sub.pk}/{path}").status_code in (404, 405)
        # 405 for a page that takes no POST: the same whatever the id.
        assert client.post(f"{BASE}/{sub.pk}/{path}", {}).status_code in (404, 405)
    assert mail.outbox == []
    assert Subscription.objects.filter(card_last4="4242").count() == 2


def test_a_past_due_subscription_can_pay_its_open_invoice_with_the_new_card(
    alice_client, stripe_vendor, stripe_api, alice
):
    # Every charge to this card is declined: the first invoice stays open.
    sub = stripe_subscription(alice, payment_method_id="pm_card_chargeCustomerFail")
    Subscription.objects.filter(pk=sub.pk).update(status="past_due")
    intent_id = hub_setup_intent(alice_client, sub)
    stripe_confirm_setup_intent(stripe_api, intent_id, "pm_card_visa")
    response = alice_client.post(card_url(sub), {"setup_intent": intent_id})
    page = alice_client.get(response["Location"]).content.decode()
    assert "A payment of $29.00 is still unpaid" in page and "Pay $29.00 now" in page

    response = alice_client.post(f"{BASE}/{sub.pk}/card/retry/")
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.status == "active"
    assert AuditEvent.objects.get(action="payment.retried").details["status"] == "paid"
    assert "the payment went through" in alice_client.get(f"{BASE}/").content.decode()


def test_save_card_says_so_when_stripe_cannot_be_reached(alice_client, stripe_sub, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    # The page itself does not need Stripe: it shows the form.
    assert 'id="card-form"' in alice_client.get(card_url(stripe_sub)).content.decode()
    response = alice_client.post(setup_url(stripe_sub))
    assert response.status_code == 502
    answer = response.json()
    assert "could not reach the payment processor" in answer["error"]
    assert answer["refused"] is False and "client_secret" not in answer
    assert response["Cache-Control"] == "no-store, private"


# --- no SetupIntent for a link scanner ------------------------------------------------


def test_a_get_or_head_of_the_card_page_creates_no_setup_intent(
    alice_client, stripe_sub, setup_intents_created
):
    for _ in range(3):
        assert alice_client.get(card_url(stripe_sub)).status_code == 200
        assert alice_client.head(card_url(stripe_sub)).status_code == 200
    # Nor does the page shown again after a failed Save.
    assert alice_client.post(card_url(stripe_sub), {"setup_intent": "x"}).status_code == 200
    assert setup_intents_created == []
    # The page's script makes one when the customer presses Save card.
    response = alice_client.post(setup_url(stripe_sub))
    assert response.status_code == 200
    assert response.json()["client_secret"].startswith(setup_intents_created[0])
    assert response["Cache-Control"] == "no-store, private"
    assert len(setup_intents_created) == 1


def test_the_setup_intent_is_only_made_on_a_post_with_the_pages_csrf_token(
    alice, stripe_sub, setup_intents_created
):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, alice)
    assert client.get(setup_url(stripe_sub)).status_code == 405
    assert client.head(setup_url(stripe_sub)).status_code == 405
    assert client.post(setup_url(stripe_sub)).status_code == 403
    page = client.get(card_url(stripe_sub)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(setup_url(stripe_sub), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and len(setup_intents_created) == 1


def test_another_customers_subscription_gets_no_setup_intent(
    client, stripe_vendor, alice, bob, acme_alice, setup_intents_created
):
    sign_in(client, bob)
    for customer in (alice, acme_alice):
        sub = SubscriptionFactory(customer=customer)
        assert client.post(setup_url(sub)).status_code == 404
    assert setup_intents_created == []


def test_without_a_stripe_customer_the_page_offers_the_emailed_link_at_once(
    alice_client, stripe_vendor, alice, setup_intents_created
):
    sub = SubscriptionFactory(customer=alice)
    assert not alice.stripe_customer_id and not sub.processor_customer_id
    html = alice_client.get(card_url(sub)).content.decode()
    assert 'id="card-form"' not in html and '<div id="card-refused">' in html
    assert "can’t find your card account" in html
    response = alice_client.post(setup_url(sub))
    assert response.status_code == 409 and response.json()["refused"] is True
    assert setup_intents_created == []


def test_without_javascript_the_page_says_so_and_offers_the_emailed_link(alice_client, stripe_sub):
    html = alice_client.get(card_url(stripe_sub)).content.decode()
    noscript = html.split("<noscript>")[1].split("</noscript>")[0]
    assert "needs JavaScript" in noscript
    assert f'action="{BASE}/{stripe_sub.pk}/card/email-link/"' in noscript
    # Save card waits for the script (and Stripe's field) to enable it.
    assert re.search(r'<button[^>]*id="card-submit"[^>]*disabled', html)
    # The refusal's way out is on the page, hidden until the script needs it.
    assert '<div id="card-refused" hidden>' in html


def test_retrying_without_an_open_invoice_pays_nothing_and_shows_stripes_status(
    alice_client, stripe_sub
):
    # Stripe holds it active (a webhook has not told us yet): nothing to pay.
    Subscription.objects.filter(pk=stripe_sub.pk).update(status="past_due")
    response = alice_client.post(f"{BASE}/{stripe_sub.pk}/card/retry/", follow=True)
    assert "Nothing is waiting to be paid for Pro Membership: its status is now Active." in (
        response.content.decode()
    )
    stripe_sub.refresh_from_db()
    assert stripe_sub.status == "active"
    assert not AuditEvent.objects.filter(action="payment.retried").exists()
