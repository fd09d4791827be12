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


def test_a_vendor_that_takes_cancellations_itself_says_how_to_cancel(alice_client, alice, vendor):
    """Issue 21: no cancel button must not mean no way to cancel."""
    vendor.self_cancel = False
    vendor.save()
    sub = SubscriptionFactory(customer=alice)
    ended = SubscriptionFactory(customer=alice, status="canceled", product="Old Plan")
    html = alice_client.get(f"{HOME}subscriptions/").content.decode()
    assert f"/subscriptions/{sub.pk}/cancel/" not in html
    assert (
        'To cancel, write to Northwind Courses at <a href="mailto:help@nw.example">'
        "help@nw.example</a>: they cancel it for you." in html
    )
    assert html.count("To cancel,") == 1  # not for the one that has ended
    assert ended.product in html and f'href="{HOME}contact/"' in html


def test_self_cancel_vendors_show_the_button_instead(alice_client, alice):
    SubscriptionFactory(customer=alice)
    assert "To cancel," not in alice_client.get(f"{HOME}subscriptions/").content.decode()
