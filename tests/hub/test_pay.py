"""/subscriptions/<id>/pay/: a subscription whose renewal was declined pays
its open invoice, against localstripe holding that invoice for real (a
renewal charged to a card that is always declined, as the demo seeds dana).
The whole story in Chromium is tests/browser/test_dana_story.py.

Stripe makes such a subscription `past_due`, and so does the patched fake
(tests/support/localstripe_patches.py); the hub records what the processor
holds and offers the payment from the open invoice and the unsettled failed
payment."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import AuditEvent, Subscription
from billing.processors.adapters import adapter_for
from hub.management.commands.seed_demo import stripe_renewal_decline
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory
from tests.support.processor_fixtures import (
    hub_setup_intent,
    stripe_confirm_setup_intent,
    stripe_subscription,
)

BASE = "/northwind/updateinfo/subscriptions"


@pytest.fixture
def past_due(stripe_vendor, alice):
    subscription = stripe_renewal_decline(
        stripe_subscription(alice, payment_method_id="pm_card_visa")
    )
    # What the invoice.payment_failed webhook records.
    PaymentFactory(
        order=OrderFactory(customer=alice, subscription=subscription),
        subscription=subscription,
        status="failed",
        failure_message="Your card was declined.",
    )
    return subscription


def pay_url(sub) -> str:
    return f"{BASE}/{sub.pk}/pay/"


def new_card(client, sub, stripe_api, payment_method="pm_card_visa") -> None:
    intent_id = hub_setup_intent(client, sub)
    stripe_confirm_setup_intent(stripe_api, intent_id, payment_method)
    response = client.post(f"{BASE}/{sub.pk}/card/", {"setup_intent": intent_id})
    assert response.status_code == 302


def test_the_seed_records_the_status_stripe_holds(past_due):
    remote = adapter_for(vendor=past_due.vendor, processor="stripe").subscription_get(
        subscription_id=past_due.processor_id
    )
    assert remote.status == past_due.status  # never a status the fake does not hold
    assert past_due.status == "past_due"
    open_invoice = adapter_for(
        vendor=past_due.vendor, processor="stripe"
    ).invoice_open_for_subscription(subscription_id=past_due.processor_id)
    assert open_invoice is not None and open_invoice.amount_due == past_due.amount


def test_the_subscriptions_page_offers_to_pay_the_open_invoice(alice_client, past_due):
    html = alice_client.get(f"{BASE}/").content.decode()
    assert f'href="/northwind/updateinfo/subscriptions/{past_due.pk}/pay/"' in html
    assert "Pay now" in html and "Update card" in html


def test_the_pay_page_links_stripes_hosted_page_for_what_it_cannot_do(alice_client, past_due):
    """Issue 21, point 1: where our page cannot take the payment (3-D Secure
    is not confirmed here), Stripe's hosted page for that open invoice can."""
    invoice = adapter_for(vendor=past_due.vendor, processor="stripe").invoice_open_for_subscription(
        subscription_id=past_due.processor_id
    )
    assert invoice.hosted_invoice_url.startswith("https://invoice.stripe.com/")
    for response in (alice_client.get(pay_url(past_due)), alice_client.post(pay_url(past_due))):
        html = response.content.decode()
        assert f'href="{invoice.hosted_invoice_url}"' in html
        assert "Pay on the payment processor’s secure page" in html


def test_a_declined_card_on_file_changes_nothing_and_offers_another_card(alice_client, past_due):
    page = alice_client.get(pay_url(past_due)).content.decode()
    assert "A payment of <strong>$29.00</strong> is waiting to be paid." in page
    assert "Pay $29.00 now" in page
    response = alice_client.post(pay_url(past_due))
    html = response.content.decode()
    assert response.status_code == 402
    # Our words and the next step, never Stripe's sentence (issue 21.11, 28.6).
    assert "Your bank declined this card, so nothing was changed." in html
    assert "Nothing was charged." in html and "Your card was declined." not in html
    # The title says so too (WCAG 2.4.2, issue 28.5), as on the card page.
    assert "<title>Error: Pay now · Northwind Courses</title>" in html
    assert "<title>Pay now · Northwind Courses</title>" in page
    assert f'href="/northwind/updateinfo/subscriptions/{past_due.pk}/card/"' in html
    status = past_due.status
    past_due.refresh_from_db()
    assert past_due.status == status
    assert not AuditEvent.objects.filter(action="payment.retried").exists()


def test_a_card_that_asks_for_3d_secure_is_sent_to_the_hosted_page(alice_client, past_due):
    """Issue 21, point 11: a card whose bank wants 3-D Secure gets plain
    words and the next step (the hosted page, or another card); our page
    confirms no payment in the browser, and nothing changes here."""
    stripe = adapter_for(vendor=past_due.vendor, processor="stripe")
    strong = stripe.payment_method_attach_default(
        customer_id=past_due.customer.stripe_customer_id,
        payment_method_id="pm_card_authenticationRequired",
        idempotency_key="test-3ds-pay",
    )
    Subscription.objects.filter(pk=past_due.pk).update(payment_method_id=strong.payment_method_id)
    invoice = stripe.invoice_open_for_subscription(subscription_id=past_due.processor_id)
    response = alice_client.post(pay_url(past_due))
    html = response.content.decode()
    assert response.status_code == 402
    assert "Your bank wants to confirm this payment with you, so nothing was charged yet." in html
    assert "You can confirm it on the payment processor’s secure page" in html
    assert "requires additional user action" not in html  # Stripe's own sentence
    assert f'href="{invoice.hosted_invoice_url}"' in html
    assert "invoice_payment_intent_requires_action" not in html
    past_due.refresh_from_db()
    assert past_due.status == "past_due"
    assert not AuditEvent.objects.filter(action="payment.retried").exists()
    assert stripe.invoice_open_for_subscription(subscription_id=past_due.processor_id)


def test_with_a_new_card_the_open_invoice_is_paid_and_the_subscription_active(
    alice_client, past_due, stripe_api
):
    new_card(alice_client, past_due, stripe_api)
    page = alice_client.get(f"{BASE}/{past_due.pk}/card/updated/").content.decode()
    assert "Pay $29.00 now" in page
    response = alice_client.post(pay_url(past_due))
    assert response.status_code == 302 and response["Location"] == f"{BASE}/"
    past_due.refresh_from_db()
    assert past_due.status == "active"
    assert AuditEvent.objects.get(action="payment.retried").details["status"] == "paid"
    assert "the payment went through" in alice_client.get(f"{BASE}/").content.decode()
    remote = adapter_for(vendor=past_due.vendor, processor="stripe").subscription_get(
        subscription_id=past_due.processor_id
    )
    assert remote.status == "active"


def test_paying_twice_says_what_happened_instead_of_a_404(alice_client, past_due, stripe_api):
    new_card(alice_client, past_due, stripe_api)
    assert alice_client.post(pay_url(past_due)).status_code == 302
    for method in (alice_client.get, alice_client.post):
        response = method(pay_url(past_due), follow=True)
        assert response.status_code == 200
        assert "Nothing is waiting to be paid for Pro Membership: its status is now Active." in (
            response.content.decode()
        )
    assert AuditEvent.objects.filter(action="payment.retried").count() == 1


@pytest.mark.parametrize(
    ("trial", "said"),
    [(False, "its status is now Active"), (True, "its status is now Trialing")],
)
def test_a_status_that_moved_on_is_explained_never_a_404(
    alice_client, stripe_vendor, alice, trial, said
):
    trial_end = timezone.now() + timedelta(days=7) if trial else None
    sub = stripe_subscription(alice, trial_end=trial_end)
    for path in ("pay/", "card/retry/"):
        response = alice_client.post(f"{BASE}/{sub.pk}/{path}", follow=True)
        assert response.status_code == 200 and said in response.content.decode()
    assert alice_client.get(pay_url(sub), follow=True).redirect_chain == [(f"{BASE}/", 302)]
    assert not AuditEvent.objects.filter(action="payment.retried").exists()


def test_a_cancelled_subscription_has_nothing_to_pay(alice_client, alice):
    sub = SubscriptionFactory(customer=alice, status="canceled")
    for method in (alice_client.get, alice_client.post):
        response = method(pay_url(sub), follow=True)
        assert "Pro Membership has ended, so there is nothing to pay." in (
            response.content.decode()
        )


def test_the_card_updated_page_survives_a_cancellation_meanwhile(alice_client, alice):
    sub = SubscriptionFactory(customer=alice, status="canceled")
    response = alice_client.get(f"{BASE}/{sub.pk}/card/updated/")
    assert response.status_code == 200
    assert "Pay" not in response.content.decode().split("<main")[1].split("</main>")[0]


def test_an_incomplete_subscription_offers_a_card_update_and_the_payment(alice_client, alice):
    sub = SubscriptionFactory(customer=alice, status="incomplete")
    html = alice_client.get(f"{BASE}/").content.decode()
    assert f"subscriptions/{sub.pk}/card/" in html and f"subscriptions/{sub.pk}/pay/" in html
    assert "waiting to be paid" in html
    dashboard = alice_client.get("/northwind/updateinfo/").content.decode()
    assert f"subscriptions/{sub.pk}/pay/" in dashboard


def test_paypal_subscriptions_are_not_paid_here(alice_client, alice):
    sub = SubscriptionFactory(customer=alice, status="past_due", processor="paypal")
    html = alice_client.get(f"{BASE}/").content.decode()
    assert f"subscriptions/{sub.pk}/pay/" not in html
    response = alice_client.post(pay_url(sub), follow=True)
    assert "Nothing is waiting to be paid" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_customers_pay_page_is_404(client, bob, alice, acme_alice, method):
    sign_in(client, bob)
    for sub in (
        SubscriptionFactory(customer=alice, status="past_due"),
        SubscriptionFactory(customer=acme_alice, status="past_due"),
    ):
        assert getattr(client, method)(pay_url(sub)).status_code == 404
    assert mail.outbox == []
    assert not AuditEvent.objects.exists()
    assert set(Subscription.objects.values_list("status", flat=True)) == {"past_due"}


def test_the_pay_page_reads_a_constant_number_of_rows(
    alice_client, past_due, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        assert alice_client.get(pay_url(past_due)).status_code == 200
