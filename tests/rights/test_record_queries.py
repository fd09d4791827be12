"""The customer's CSV record costs the same number of queries however long
it is, and never carries another customer's or vendor's rows."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rights.models import CancellationDeclaration, Reminder, WithdrawalDeclaration
from rights.price_changes import price_change_announce
from tests.conftest import sign_in
from tests.factories import AuditEventFactory, OrderFactory, SubscriptionFactory

URL = "/northwind/updateinfo/record.csv"


def entries(customer, n):
    sub = SubscriptionFactory(customer=customer, product=f"Plan {customer.pk}-{n}")
    CancellationDeclaration.objects.create(
        vendor=customer.vendor, customer=customer, created_at=timezone.now(), kind="ordinary",
        name=customer.name, email=customer.email, order_number=f"ORD-{customer.pk}-{n}",
        when="asap", status="carried_out", token_hash=f"c-{customer.pk}-{n}",
    )  # fmt: skip
    WithdrawalDeclaration.objects.create(
        vendor=customer.vendor, created_at=timezone.now(), name=customer.name,
        email=customer.email, order_number=f"WD-{customer.pk}-{n}", status="done",
        order=OrderFactory(customer=customer), token_hash=f"w-{customer.pk}-{n}",
    )  # fmt: skip
    Reminder.objects.create(
        vendor=customer.vendor, subscription=sub, kind="trial_end", amount=sub.amount,
        currency="USD", event_at=timezone.now() + timedelta(days=7), sent_at=timezone.now(),
    )  # fmt: skip
    AuditEventFactory(vendor=customer.vendor, customer=customer, subscription=sub,
                      action="subscription.canceled")  # fmt: skip


def download(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_constant_queries_and_only_the_customers_own_rows(
    client, vendor, alice, bob, acme_alice, django_assert_num_queries
):
    entries(alice, 0)
    entries(bob, 0)
    entries(acme_alice, 0)
    sign_in(client, alice)
    download(client)
    with CaptureQueriesContext(connection) as one:
        download(client)
    for n in range(1, 6):
        entries(alice, n)
    sub = SubscriptionFactory(customer=alice, amount=Decimal("10"), product="Priced")
    price_change_announce(subscription=sub, amount=Decimal("11"),
                          effective_on=timezone.localdate() + timedelta(days=9))  # fmt: skip
    Reminder.objects.filter(kind="price_increase").update(sent_at=timezone.now())
    with django_assert_num_queries(len(one.captured_queries)):
        body = download(client)
    assert f"ORD-{alice.pk}-5" in body and f"WD-{alice.pk}-5" in body
    assert "Price increase" in body
    for other in (bob, acme_alice):
        assert f"ORD-{other.pk}-" not in body and f"WD-{other.pk}-" not in body
        assert f"Plan {other.pk}-" not in body
