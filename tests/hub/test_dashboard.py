import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing.models import Subscription
from tests.conftest import sign_in
from tests.factories import CustomerFactory, PaymentFactory, SubscriptionFactory

HOME = "/northwind/updateinfo/"


def test_it_shows_the_customers_details_and_billing_address(alice_client, alice):
    alice.address_line1 = "12 Harbor Road"
    alice.city = "Portland"
    alice.postal_code = "97201"
    alice.state = "OR"
    alice.country = "US"
    alice.save()
    page = alice_client.get(HOME).text
    assert "Hello, Alice Adams" in page
    assert "alice@example.com" in page
    assert "12 Harbor Road" in page
    assert "Portland, OR 97201" in page  # as a US address is written
    assert "United States" in page  # the country by name, not its code


def test_it_shows_the_vendors_name_logo_and_colour(alice_client, vendor):
    vendor.brand_color = "#0f6e5a"
    vendor.logo = "logos/northwind.png"
    vendor.save()
    page = alice_client.get(HOME).text
    assert "Northwind Courses" in page
    assert "--brand: #0f6e5a" in page
    assert 'src="/media/logos/northwind.png"' in page


def test_it_shows_the_card_on_file_of_active_and_past_due_subscriptions(alice_client, alice):
    SubscriptionFactory(customer=alice, product="Pro", card_brand="visa", card_last4="4242")
    SubscriptionFactory(
        customer=alice,
        product="Team",
        status=Subscription.Status.PAST_DUE,
        card_brand="mastercard",
        card_last4="4444",
        card_exp_month=1,
        card_exp_year=2031,
    )
    SubscriptionFactory(
        customer=alice, status=Subscription.Status.CANCELED, card_brand="amex", card_last4="0005"
    )
    page = alice_client.get(HOME).text
    assert "•••• 4242" in page
    assert "•••• 4444" in page
    assert "expires 01/2031" in page
    assert "The last payment with this card failed." in page
    assert "0005" not in page  # a cancelled subscription keeps no card


def test_the_dashboard_agrees_with_the_subscriptions_page_on_cards(alice_client, alice):
    """One decision (billing.cards.card_update_place) for both pages: a trial
    shows the card it will charge, PayPal is managed at PayPal."""
    trial = SubscriptionFactory(
        customer=alice, product="Trial", status="trialing", card_brand="visa", card_last4="1111"
    )
    paypal = SubscriptionFactory(customer=alice, product="Club", processor="paypal", card_last4="")
    page = alice_client.get(HOME).text
    subscriptions = alice_client.get("/northwind/updateinfo/subscriptions/").text
    assert "•••• 1111" in page and f"/subscriptions/{trial.pk}/card/" in subscriptions
    assert "Paid with PayPal" in page
    assert f"/subscriptions/{paypal.pk}/card/" in page
    assert "Manage on PayPal" in page and "Manage on PayPal" in subscriptions


def test_it_says_there_is_no_card_for_one_time_buyers(alice_client, alice):
    PaymentFactory(order__customer=alice)
    assert "No card on file" in alice_client.get(HOME).text


def test_it_offers_update_my_info_as_a_dialog_with_a_link_that_works_without_js(alice_client):
    page = alice_client.get(HOME).text
    assert 'href="/northwind/updateinfo/profile/" data-dialog-open="profile-dialog"' in page
    assert '<dialog id="profile-dialog"' in page
    assert 'data-src="/northwind/updateinfo/profile/?part=dialog"' in page
    assert 'src="/static/hub.js"' in page


def test_the_dashboard_does_not_render_the_profile_form(alice_client):
    """The form (and its 250-country list) is fetched when the dialog opens."""
    page = alice_client.get(HOME).text
    assert "profile-form" not in page
    assert "<select" not in page
    assert 'action="/northwind/updateinfo/profile/"' not in page


def test_the_dialog_gets_the_filled_in_form_alone(alice_client):
    response = alice_client.get(HOME + "profile/", {"part": "dialog"})
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
    part = response.text
    assert "<html" not in part and "<dialog" not in part
    assert 'action="/northwind/updateinfo/profile/"' in part
    assert 'value="alice@example.com"' in part  # filled in
    assert 'name="csrfmiddlewaretoken"' in part
    assert "data-dialog-close" in part  # the dialog's Cancel button
    assert '<option value="CA"' in part


def test_the_dialogs_form_is_only_for_the_signed_in_customer(client, alice):
    response = client.get(HOME + "profile/", {"part": "dialog"})
    assert response.status_code == 302
    assert "alice@example.com" not in response.text


def test_it_links_to_purchases_subscriptions_and_contact_and_signs_out_by_post(alice_client):
    page = alice_client.get(HOME).text
    for path in ("purchases/", "subscriptions/", "contact/"):
        assert f'href="/northwind/updateinfo/{path}"' in page
    assert 'method="post" action="/northwind/updateinfo/signout/"' in page
    assert 'aria-current="page">Overview' in page


def test_it_shows_recent_purchases_including_failed_ones(alice_client, alice):
    PaymentFactory(order__customer=alice, order__product="Old Course")
    PaymentFactory(order__customer=alice, order__product="Retry", status="failed")
    page = alice_client.get(HOME).text
    assert "Old Course" in page
    assert "Retry" in page
    assert "Failed" in page


def test_it_makes_the_same_few_queries_whatever_the_history(
    client, vendor, django_assert_max_num_queries
):
    few = CustomerFactory(vendor=vendor, email="few@example.com")
    many = CustomerFactory(vendor=vendor, email="many@example.com")
    PaymentFactory(order__customer=few)
    SubscriptionFactory(customer=few)
    for i in range(40):
        PaymentFactory(
            order__customer=many, created_at=timezone.now() - timedelta(days=i), invoice=False
        )
    for _ in range(5):
        SubscriptionFactory(customer=many)
    counts = []
    for customer in (few, many):
        sign_in(client, customer)
        with django_assert_max_num_queries(10) as captured:
            assert client.get(HOME).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_dashboard_is_the_signed_in_customers_own(client, alice, bob):
    PaymentFactory(order__customer=alice, order__product="Alice Only", amount=Decimal("5"))
    SubscriptionFactory(customer=alice, card_last4="1111")
    sign_in(client, bob)
    page = client.get(HOME).text
    assert "Hello, Bob Brown" in page
    assert "Alice" not in page
    assert "1111" not in page


def test_a_customer_of_another_vendor_sees_only_their_own_dashboard(client, alice, acme_alice):
    SubscriptionFactory(customer=alice, card_last4="1111")
    sign_in(client, acme_alice)
    page = client.get("/acme/updateinfo/").text
    assert "Alice at Acme" in page  # greeted in Acme's German
    assert "1111" not in page


def test_signed_in_at_northwind_is_the_access_form_at_acme(alice_client, other_vendor):
    page = alice_client.get("/acme/updateinfo/").text
    assert 'name="email"' in page
    assert "Alice Adams" not in page
    assert "signout/" not in page  # no hub navigation for nobody


def test_the_sign_out_button_ends_the_session(alice_client):
    page = alice_client.get(HOME).text
    action = re.search(r'<form class="signout" method="post" action="([^"]+)"', page).group(1)
    alice_client.post(action)
    page = alice_client.get(HOME).text
    assert "Hello, Alice" not in page
    assert 'name="email"' in page


def test_a_paypal_customer_is_not_offered_to_update_a_card(alice_client, alice):
    """Issue 21 point 11: PayPal keeps the funding; the hub has no card form for it."""
    SubscriptionFactory(customer=alice, product="Club", processor="paypal", card_last4="")
    page = alice_client.get(HOME).text
    assert "Manage on PayPal" in page
    assert "Update a card" not in page


def test_a_stripe_customer_is_offered_to_update_a_card(alice_client, alice):
    SubscriptionFactory(customer=alice, product="Club", card_brand="visa", card_last4="4242")
    assert "Update a card in Subscriptions" in alice_client.get(HOME).text
