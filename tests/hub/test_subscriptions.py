"""/subscriptions/: each subscription with its status, price, next payment,
card, unresolved failed charges and the buttons the customer may use."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Subscription
from billing.subscriptions import subscription_rows
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory

URL = "/northwind/updateinfo/subscriptions/"


def html_of(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, product: str) -> str:
    """The card of one subscription (by its product name)."""
    start = html.index(f">{product}</h2>")
    end = html.find("</section>", start)
    return html[start:end]


def with_payments(subscription, *statuses, message="Your card was declined."):
    """Payments for the subscription, oldest first, one day apart."""
    order = OrderFactory(
        customer=subscription.customer,
        product=subscription.product,
        amount=subscription.amount,
        subscription=subscription,
    )
    start = timezone.now() - timedelta(days=len(statuses) + 1)
    for i, status in enumerate(statuses):
        PaymentFactory(
            order=order,
            subscription=subscription,
            status=status,
            created_at=start + timedelta(days=i),
            failure_message=message if status == "failed" else "",
        )
    return order


def test_it_shows_an_active_subscription(alice_client, alice):
    next_at = datetime(2030, 5, 17, 15, 0, tzinfo=UTC)
    sub = SubscriptionFactory(
        customer=alice,
        product="Pro Membership",
        amount=Decimal("29.00"),
        next_payment_at=next_at,
        card_exp_month=3,
        card_exp_year=2031,
    )
    html = section(html_of(alice_client), "Pro Membership")
    assert 'badge badge--active"><span class="visually-hidden">Status: </span>Active<' in html
    assert "$29.00 / month" in html
    assert "Next payment" in html and "$29.00 on May 17, 2030" in html
    assert "Visa" in html and "4242" in html and "expires 03/2031" in html
    assert f'href="/northwind/updateinfo/subscriptions/{sub.pk}/card/"' in html
    assert f'href="/northwind/updateinfo/subscriptions/{sub.pk}/cancel/"' in html


def test_it_shows_price_and_interval(alice_client, alice):
    SubscriptionFactory(customer=alice, product="Yearly", amount=Decimal("290.00"), interval="year")
    SubscriptionFactory(
        customer=alice,
        product="Quarterly",
        amount=Decimal("79.00"),
        interval="month",
        interval_count=3,
    )
    html = html_of(alice_client)
    assert "$290.00 / year" in section(html, "Yearly")
    assert "$79.00 every 3 months" in section(html, "Quarterly")


def test_a_trial_says_when_the_first_payment_happens(alice_client, alice):
    trial_end = datetime(2030, 1, 9, 12, 0, tzinfo=UTC)
    # The trial's end wins over a next_payment_at the processor may not have set yet.
    SubscriptionFactory(
        customer=alice,
        product="Trial Plan",
        status="trialing",
        trial_end=trial_end,
        current_period_end=trial_end,
        next_payment_at=trial_end + timedelta(days=40),
    )
    html = section(html_of(alice_client), "Trial Plan")
    assert ">Trialing<" in html
    assert "Your free trial ends on January 9, 2030." in html
    assert "Your first payment, of $29.00, is taken that day." in html
    assert html.count("January 9, 2030") == 1  # the date is said once


def test_it_says_when_a_subscription_set_to_cancel_ends(alice_client, alice):
    end = datetime(2030, 2, 28, 12, 0, tzinfo=UTC)
    sub = SubscriptionFactory(
        customer=alice,
        product="Ending Plan",
        cancel_at_period_end=True,
        current_period_end=end,
        next_payment_at=end,
    )
    html = section(html_of(alice_client), "Ending Plan")
    assert "This subscription ends on February 28, 2030." in html
    assert "Next payment" not in html
    # Already set to end: nothing left to cancel, but the card can still be fixed.
    assert f"/subscriptions/{sub.pk}/cancel/" not in html
    assert f"/subscriptions/{sub.pk}/card/" in html


def test_it_shows_failed_charges_and_what_to_do(alice_client, alice):
    sub = SubscriptionFactory(
        customer=alice,
        product="Late Plan",
        status="past_due",
        card_brand="mastercard",
        card_last4="4444",
    )
    with_payments(sub, "paid", "paid", "failed", message="Your card has insufficient funds.")
    html = section(html_of(alice_client), "Late Plan")
    assert ">Past due<" in html
    assert "A payment failed" in html
    assert "Your card has insufficient funds." in html
    assert "What to do: pay now with the card on file, or update your card first." in html
    assert f"/subscriptions/{sub.pk}/pay/" in html
    assert "Next attempt" in html
    assert "Mastercard" in html and "4444" in html
    assert '<th scope="col">Date</th>' in html
    assert f"/subscriptions/{sub.pk}/card/" in html


def test_a_failure_settled_by_a_later_payment_is_not_shown(alice_client, alice):
    sub = SubscriptionFactory(customer=alice, product="Recovered Plan")
    with_payments(sub, "paid", "failed", "paid", message="Old decline.")
    html = section(html_of(alice_client), "Recovered Plan")
    assert "Old decline." not in html
    assert "payment failed" not in html


def test_only_charging_subscriptions_offer_a_card_update(alice_client, alice):
    subs = {
        status: SubscriptionFactory(customer=alice, product=f"Plan {status}", status=status)
        for status in ["trialing", "active", "past_due", "paused", "canceled"]
    }
    html = html_of(alice_client)
    for status, sub in subs.items():
        has_button = f"/subscriptions/{sub.pk}/card/" in html
        assert has_button == (status in {"active", "past_due", "trialing"}), status


def test_a_cancelled_subscription_offers_no_cancel_and_no_next_payment(alice_client, alice):
    sub = SubscriptionFactory(
        customer=alice,
        product="Old Plan",
        status="canceled",
        canceled_at=datetime(2029, 6, 1, 12, 0, tzinfo=UTC),
    )
    html = section(html_of(alice_client), "Old Plan")
    assert ">Cancelled<" in html
    assert "June 1, 2029" in html
    assert "Next payment" not in html
    assert f"/subscriptions/{sub.pk}/cancel/" not in html
    assert "4242" not in html  # no card matters any more


def test_no_cancel_button_when_the_vendor_does_not_allow_it(alice_client, alice, vendor):
    vendor.self_cancel = False
    vendor.save()
    sub = SubscriptionFactory(customer=alice)
    html = html_of(alice_client)
    assert f"/subscriptions/{sub.pk}/cancel/" not in html
    assert f"/subscriptions/{sub.pk}/card/" in html


def test_a_paypal_subscription_says_how_it_is_paid(alice_client, alice):
    SubscriptionFactory(
        customer=alice,
        product="PayPal Plan",
        processor="paypal",
        card_brand="",
        card_last4="",
        card_exp_month=None,
        card_exp_year=None,
    )
    html = section(html_of(alice_client), "PayPal Plan")
    assert "Paid with" in html and "PayPal" in html


def test_money_and_dates_follow_the_vendor(client, acme_alice, other_vendor):
    other_vendor.timezone = "Europe/Berlin"
    other_vendor.save()
    # 23:30 UTC on 31 March is 1 April in Berlin.
    SubscriptionFactory(
        customer=acme_alice,
        product="Cloud",
        amount=Decimal("1049.00"),
        next_payment_at=datetime(2030, 3, 31, 23, 30, tzinfo=UTC),
    )
    sign_in(client, acme_alice)
    html = client.get("/acme/updateinfo/subscriptions/").content.decode()
    assert "1.049,00\xa0€" in html  # acme is German
    assert "1. April 2030" in html


def test_it_has_a_helpful_empty_state(alice_client):
    html = html_of(alice_client)
    assert "You have no subscriptions with Northwind Courses." in html
    assert 'href="/northwind/updateinfo/purchases/"' in html


def test_another_customers_subscriptions_are_not_shown(alice_client, bob):
    sub = SubscriptionFactory(customer=bob, product="Bobs Plan")
    html = html_of(alice_client)
    assert "Bobs Plan" not in html and f"/subscriptions/{sub.pk}/" not in html


def test_another_vendors_subscriptions_are_not_shown(client, alice, acme_alice):
    SubscriptionFactory(customer=acme_alice, product="Acme Plan")
    SubscriptionFactory(customer=alice, product="Northwind Plan")
    sign_in(client, acme_alice)
    html = client.get("/acme/updateinfo/subscriptions/").content.decode()
    assert "Acme Plan" in html and "Northwind Plan" not in html
    # Signed in at acme only: northwind's page asks to sign in.
    assert client.get(URL).status_code == 302


def test_an_unknown_account_is_not_found(alice_client):
    assert alice_client.get("/nosuchvendor/updateinfo/subscriptions/").status_code == 404


def test_signed_out_it_sends_to_the_access_form(client, vendor):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/northwind/updateinfo/?next=")


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_history(alice_client, alice):
    one = SubscriptionFactory(customer=alice)
    with_payments(one, "paid", "failed")
    small = _page_queries(alice_client)

    for i in range(12):
        sub = SubscriptionFactory(customer=alice, product=f"Plan {i}", status="past_due")
        with_payments(sub, *(["paid"] * 3 + ["failed"] * 8))
    large = _page_queries(alice_client)
    assert small == large
    assert large <= 10


def test_failed_charges_shown_are_capped(alice):
    sub = SubscriptionFactory(customer=alice, status="past_due")
    with_payments(sub, *(["failed"] * 9))
    (row,) = subscription_rows(customer=alice)
    assert len(row.failed_payments) == 5
    dates = [p.created_at for p in row.failed_payments]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("status", [s for s, _ in Subscription.Status.choices])
def test_every_status_renders(alice_client, alice, status):
    SubscriptionFactory(customer=alice, product="Any Plan", status=status)
    html = section(html_of(alice_client), "Any Plan")
    assert f"badge--{status}" in html


def test_the_demo_personas_see_their_subscriptions(client, db):
    """The issue's "done when": eli sees the trial's first payment date, dana the
    failed charge, alex the next payment; alex at acme sees only acme's."""
    from io import StringIO

    from django.core.management import call_command

    from billing.models import Customer

    call_command("seed_demo", force=True, stdout=StringIO())

    def page_for(slug, email):
        sign_in(client, Customer.objects.get(vendor__slug=slug, email=email))
        return client.get(f"/{slug}/updateinfo/subscriptions/").content.decode()

    eli = page_for("demo", "eli@example.com")
    assert "Your first payment, of $29.00, is taken that day." in eli
    dana = page_for("demo", "dana@example.com")
    assert "Your card was declined." in dana and "Update card" in dana
    alex = page_for("demo", "alex@example.com")
    assert "Next payment" in alex and "$29.00 / month" in alex
    acme = page_for("acme", "alex@example.com")
    assert "Acme Cloud Backup" in acme and "49,00\xa0€" in acme  # German at acme
    assert "Pro Membership" not in acme


def test_only_failures_after_the_last_settled_payment_count_in_a_long_history(
    alice, django_assert_num_queries
):
    """Thousands of old failures settled by later payments cost nothing: the
    failures are read after each subscription's own last settled payment, in
    the same two queries as a short history."""
    from billing.models import Payment

    sub = SubscriptionFactory(customer=alice, status="past_due")
    order = with_payments(sub, "paid")
    start = timezone.now() - timedelta(days=4000)
    Payment.objects.bulk_create(
        Payment(
            vendor=alice.vendor,
            customer=alice,
            order=order,
            order_number=order.number,  # bulk_create skips Payment.save()
            subscription=sub,
            amount=Decimal("9"),
            currency="USD",
            status=("failed", "paid", "refunded")[i % 3],
            created_at=start + timedelta(hours=i),
            processor="stripe",
        )
        for i in range(3000)
    )
    for i, status in enumerate(["refunded", "failed", "failed"]):  # the newest three
        PaymentFactory(
            order=order, subscription=sub, status=status, created_at=timezone.now() + timedelta(i)
        )
    with django_assert_num_queries(2):  # the same two queries on every database
        (row,) = subscription_rows(customer=alice)
    assert [p.status for p in row.failed_payments] == ["failed", "failed"]
    assert row.failed_payments[0].created_at > row.failed_payments[1].created_at
