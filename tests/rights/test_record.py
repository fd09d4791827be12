"""The signed-in customer's own record (CSV): theirs only, in constant queries."""

from datetime import timedelta

from django.utils import timezone

from rights.models import CancellationDeclaration, Reminder
from tests.conftest import sign_in
from tests.factories import AuditEventFactory, SubscriptionFactory

URL = "/northwind/updateinfo/record.csv"


def declaration(vendor, customer, number, token):
    return CancellationDeclaration.objects.create(
        vendor=vendor, customer=customer, created_at=timezone.now(), kind="ordinary",
        name=customer.name, email=customer.email, order_number=number, when="asap",
        status="open", token_hash=token,
    )  # fmt: skip


def test_it_lists_the_customers_own_record_only(
    client, vendor, alice, bob, acme_alice, django_assert_max_num_queries
):
    declaration(vendor, alice, "ORD-ALICE", "a")
    declaration(vendor, bob, "ORD-BOB", "b")
    declaration(acme_alice.vendor, acme_alice, "ORD-ACME", "c")
    sub = SubscriptionFactory(customer=alice, product="Pro Membership")
    Reminder.objects.create(
        vendor=vendor, subscription=sub, kind="annual_renewal", amount=sub.amount,
        currency="USD", event_at=timezone.now() + timedelta(days=30), sent_at=timezone.now(),
    )  # fmt: skip
    AuditEventFactory(
        vendor=vendor, customer=alice, subscription=sub, action="subscription.canceled",
        details={"source": "=cancellation page"},
    )  # fmt: skip
    sign_in(client, alice)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
        body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert "ORD-ALICE" in body and "ORD-BOB" not in body and "ORD-ACME" not in body
    assert "Reminder sent" in body and "Annual renewal" in body
    assert "'=cancellation page" in body  # no formula reaches a spreadsheet
    assert "(UTC)" in body


def test_it_needs_sign_in(client, vendor):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(
        "/northwind/updateinfo/?"
    )


def test_the_subscriptions_page_links_it(client, vendor, alice):
    sign_in(client, alice)
    html = client.get("/northwind/updateinfo/subscriptions/").content.decode()
    assert 'href="/northwind/updateinfo/record.csv"' in html
