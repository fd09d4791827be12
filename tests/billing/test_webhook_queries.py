"""The database work of one renewal's five Stripe events, pinned.

On a renewal day the machine's cores, not the processor, were the bound
(issue 26: about 37 ms of our CPU per event), and most of that CPU is
Django building and running queries. These tests count the queries of
receiving a renewal's events at the endpoint and of processing them, so a
change that adds one per event shows up here rather than as a slower storm
(`python -m bench.storm.cpu` measures the CPU itself).
"""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Payment, WebhookEvent
from billing.processors.adapters import stripe_adapter_for
from tests.billing.test_webhook_reads import receive, renewal_events
from tests.support.processor_fixtures import stripe_subscription
from tests.support.webhooks import SECRET
from vendors.models import Vendor
from vendors.selectors import vendor_cache_clear

# The three types of a renewal that processing ignores by type alone.
IGNORED_TYPES = {"invoice.created", "invoice.finalized", "charge.succeeded"}
# invoice.paid (claim, read checks, the subscription, order, payment, invoice
# and its number, done), customer.subscription.updated (claim, covered by
# the invoice's read, done) and the receipt, savepoints included. Lower it
# when a change saves one; a change that adds one must say why here.
# 48: the subscription's version (its updated_at) is read before the read
# and checked again, under the row lock, before recording: a read the
# customer's Cancel or Keep overtook is read again, not recorded over it.
PROCESSING_QUERIES = 48


@pytest.fixture
def hooked_vendor(stripe_vendor, settings):
    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    # As in production: a web process reuses the vendor it loaded.
    settings.HUB_VENDOR_CACHE_SECONDS = 5.0
    vendor_cache_clear()
    yield stripe_vendor
    vendor_cache_clear()


@pytest.fixture
def renewal(hooked_vendor, alice):
    adapter = stripe_adapter_for(vendor=hooked_vendor)
    return renewal_events(adapter, stripe_subscription(alice))


def test_a_delivery_costs_one_insert_once_the_vendor_is_loaded(
    client, renewal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        receive(client, *renewal[0])  # loads the vendor
        with CaptureQueriesContext(connection) as queries:
            for kind, obj in renewal[1:]:
                receive(client, kind, obj)

    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # Per delivery: its INSERT (in a savepoint: the test's transaction
    # stands for autocommit here), no lookup of the vendor or the event.
    assert statements.count("INSERT") == 4
    assert "SELECT" not in statements, queries.captured_queries


def test_a_redelivery_finds_the_stored_event_and_queues_nothing(
    client, renewal, django_capture_on_commit_callbacks
):
    kind, obj = renewal[2]  # invoice.paid: one that is processed
    with django_capture_on_commit_callbacks() as queued:
        receive(client, kind, obj, event_id="evt_twice")
        receive(client, kind, obj, event_id="evt_twice")

    assert len(queued) == 1
    assert WebhookEvent.objects.filter(event_id="evt_twice").count() == 1


def test_the_types_processing_ignores_are_stored_as_ignored_without_a_task(
    client, renewal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        for kind, obj in renewal:
            receive(client, kind, obj)

    # invoice.paid and customer.subscription.updated need processing.
    assert len(queued) == 2
    ignored = WebhookEvent.objects.filter(event_type__in=IGNORED_TYPES)
    assert ignored.count() == 3
    # The row its task would have left: one attempt, the reason, the time.
    for event in ignored:
        assert (event.outcome, event.error, event.attempts) == (
            "ignored",
            "event type not handled",
            1,
        )
        assert event.processed_at is not None


def test_an_ignored_type_in_the_other_mode_says_so(client, renewal, hooked_vendor):
    hooked_vendor.stripe_secret_key = "sk_live_northwind"
    hooked_vendor.save()
    receive(client, "invoice.created", renewal[0][1])

    event = WebhookEvent.objects.get()
    assert (event.outcome, event.error) == ("ignored", "livemode does not match the vendor")


def test_a_secret_key_no_key_opens_leaves_the_decision_to_the_task(
    client, renewal, hooked_vendor, settings, django_capture_on_commit_callbacks
):
    # The secret key stays encrypted with a key that is gone; the webhook
    # secret is entered again under the new one.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    vendor = Vendor.objects.get(pk=hooked_vendor.pk)
    vendor.stripe_webhook_secret = SECRET
    vendor.save()
    with django_capture_on_commit_callbacks() as queued:
        receive(client, "invoice.created", renewal[0][1])

    assert len(queued) == 1
    assert WebhookEvent.objects.get().outcome == ""


def test_processing_a_renewals_events_makes_a_fixed_number_of_queries(
    client, renewal, django_capture_on_commit_callbacks, django_assert_num_queries, settings
):
    # The renewal's events arrive together (the window lets the invoice's
    # read cover the subscription event, as on a renewal day).
    settings.WEBHOOK_COALESCE_SECONDS = 1.0
    with django_capture_on_commit_callbacks() as queued:
        for kind, obj in renewal:
            receive(client, kind, obj)

    # invoice.paid records the payment, its invoice and the subscription;
    # customer.subscription.updated finds the read that covers it.
    with (
        django_assert_num_queries(PROCESSING_QUERIES),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for process in queued:
            process()

    assert Payment.objects.get().status == "paid"
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {"processed", "ignored"}
