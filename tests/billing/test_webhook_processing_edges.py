"""Processing Stripe events at their edges (issue 27: the survivors of
mutation testing of billing/processors/webhooks.py): an event that names a
customer only Stripe knows, and a card event without a customer."""

from billing.models import Customer, Subscription
from tests.support.processor_fixtures import stripe_subscription

from .test_webhook_processing import adapter, deliver, hooked_vendor  # noqa: F401 - fixtures


def test_a_subscription_event_for_a_customer_we_never_saw_creates_them(
    deliver,  # noqa: F811
    hooked_vendor,  # noqa: F811
):
    stranger = Customer.objects.create(vendor=hooked_vendor, email="temp@example.com")
    subscription = stripe_subscription(stranger)
    stripe_id, processor_id = stranger.stripe_customer_id, subscription.processor_id
    # Only Stripe knows them now.
    Subscription.objects.all().delete()
    stranger.delete()

    event = deliver("customer.subscription.created", processor_id, "subscription")

    assert event.outcome == "processed"
    customer = Customer.objects.get(stripe_customer_id=stripe_id)
    assert customer.email == "temp@example.com"
    assert Subscription.objects.get(customer=customer).processor_id == processor_id


def test_a_card_attached_without_a_customer_is_ignored(deliver):  # noqa: F811
    event = deliver("payment_method.attached", "pm_1", "payment_method", customer=None)
    assert (event.outcome, event.error) == ("ignored", "event type not handled")
