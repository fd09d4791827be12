"""The customer's page in the vendor console shows their consumer-rights
record (the rows of their CSV), theirs only, in a fixed number of queries."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rights.models import CancellationDeclaration, Reminder
from tests.factories import SubscriptionFactory


def declaration(customer, number):
    return CancellationDeclaration.objects.create(
        vendor=customer.vendor, customer=customer, created_at=timezone.now(), kind="ordinary",
        name=customer.name, email=customer.email, order_number=number, when="asap",
        status="carried_out", token_hash=f"{customer.pk}-{number}",
    )  # fmt: skip


def reminder(customer, product):
    sub = SubscriptionFactory(customer=customer, product=product)
    return Reminder.objects.create(
        vendor=customer.vendor, subscription=sub, kind="annual_renewal", amount=sub.amount,
        currency="USD", event_at=timezone.now() + timedelta(days=30), sent_at=timezone.now(),
    )  # fmt: skip


def page(client, customer) -> str:
    response = client.get(f"/admin/billing/customer/{customer.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_customers_own_record_only(client, vendor, alice, bob, acme_alice,
                                                northwind_staff):  # fmt: skip
    vendor.timezone = "Europe/Berlin"
    vendor.save()
    declaration(alice, "ORD-ALICE")
    reminder(alice, "Alice Yearly")
    declaration(bob, "ORD-BOB")
    reminder(bob, "Bob Yearly")
    declaration(acme_alice, "ORD-ACME")
    client.force_login(northwind_staff)
    html = page(client, alice)
    assert 'id="rights-record"' in html
    assert "ORD-ALICE" in html and "Cancellation declared" in html
    assert "Alice Yearly" in html and "Reminder sent" in html
    assert "ORD-BOB" not in html and "Bob Yearly" not in html and "ORD-ACME" not in html
    assert "(Europe/Berlin)" in html


def test_another_vendors_customer_is_a_404(client, acme_alice, northwind_staff):
    declaration(acme_alice, "ORD-ACME")
    client.force_login(northwind_staff)
    response = client.get(f"/admin/billing/customer/{acme_alice.pk}/change/")
    assert response.status_code == 404


def test_nothing_recorded_says_so(client, alice, northwind_staff):
    client.force_login(northwind_staff)
    html = page(client, alice)
    start = html.index('id="rights-record"')
    assert "Nothing recorded." in html[start:]


def test_the_query_count_does_not_grow_with_the_record(
    client, alice, northwind_staff, django_assert_num_queries
):
    client.force_login(northwind_staff)
    declaration(alice, "ORD-1")
    reminder(alice, "Plan 1")
    page(client, alice)  # warm (sessions, caches)
    with CaptureQueriesContext(connection) as few:
        page(client, alice)
    for n in range(2, 7):
        declaration(alice, f"ORD-{n}")
        reminder(alice, f"Plan {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        html = page(client, alice)
    assert "ORD-6" in html and "Plan 6" in html
