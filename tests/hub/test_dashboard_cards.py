"""The dashboard's "Card on file" offers a card update only where one is
made in the hub (issue 21, point 11)."""

from tests.factories import SubscriptionFactory

HOME = "/northwind/updateinfo/"


def test_a_paypal_subscriber_is_not_offered_a_card_update(alice_client, alice):
    sub = SubscriptionFactory(customer=alice, processor="paypal", card_brand="", card_last4="")
    html = alice_client.get(HOME).content.decode()
    assert "Update a card in Subscriptions" not in html
    assert f"subscriptions/{sub.pk}/card/" in html and "Manage on PayPal" in html


def test_a_stripe_subscriber_is(alice_client, alice):
    SubscriptionFactory(customer=alice, processor="paypal", card_brand="", card_last4="")
    SubscriptionFactory(customer=alice, processor="stripe")
    assert "Update a card in Subscriptions" in alice_client.get(HOME).content.decode()
