"""/purchases/print/: the whole history on one page for paper, reached from
the history's Print link, in the page's sort, at a constant query cost."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import sign_in
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory
from tests.hub.test_purchases import payments_for

PRINT = "/northwind/updateinfo/purchases/print/"


def order_ids(page: str) -> list[str]:
    return re.findall(r'data-label="Order ID">([^<]+)<', page)


def test_the_history_links_to_it_with_its_sort(alice_client, alice):
    PaymentFactory(order__customer=alice)
    page = alice_client.get("/northwind/updateinfo/purchases/", {"sort": "price"}).text
    # A link, not a script-only button: it works without JavaScript.
    assert 'href="/northwind/updateinfo/purchases/print/?sort=price">Print</a>' in page
    assert "data-print hidden" not in page


def test_it_lists_every_row_not_one_page(alice_client, alice):
    now = timezone.now()
    for i in range(61):
        PaymentFactory(
            order__customer=alice,
            order__number=f"ORD-{i:03d}",
            created_at=now - timedelta(days=i),
            invoice=False,
        )
    response = alice_client.get(PRINT, {"sort": "order"})
    assert "no-store" in response["Cache-Control"]
    page = response.text
    assert order_ids(page) == [f"ORD-{i:03d}" for i in range(61)]
    assert "61 purchases" in page
    assert 'class="pagination"' not in page
    assert "Alice Adams · alice@example.com" in page


def test_it_keeps_the_sort_and_falls_back_to_newest_first(alice_client, alice):
    now = timezone.now()
    for number, amount, days in [("ORD-A", "30", 3), ("ORD-B", "10", 1), ("ORD-C", "20", 2)]:
        PaymentFactory(
            order__customer=alice,
            order__number=number,
            amount=Decimal(amount),
            created_at=now - timedelta(days=days),
        )
    assert order_ids(alice_client.get(PRINT, {"sort": "-price"}).text) == [
        "ORD-A",
        "ORD-C",
        "ORD-B",
    ]
    assert order_ids(alice_client.get(PRINT, {"sort": "junk"}).text) == ["ORD-B", "ORD-C", "ORD-A"]


def test_it_opens_the_print_dialog_only_through_javascript(alice_client, alice):
    PaymentFactory(order__customer=alice)
    page = alice_client.get(PRINT).text
    # No inline script (the CSP would refuse it anyway): hub.js reads the marker.
    assert "data-print-on-load" in page
    assert "window.print" not in page
    assert 'href="/northwind/updateinfo/purchases/?sort=-date">Back to purchase history' in page


def test_a_failed_payment_shows_a_dash_not_none(alice_client, alice):
    PaymentFactory(order__customer=alice, order__product="Declined", status="failed")
    page = alice_client.get(PRINT).text
    assert 'aria-hidden="true">—</span><span class="visually-hidden">No invoice</span>' in page
    assert "None" not in page


def test_it_says_so_when_there_are_no_purchases(alice_client):
    page = alice_client.get(PRINT).text
    assert "No purchases yet." in page
    assert "0 purchases" in page


@pytest.mark.parametrize("sort", ["-date", "order"])
def test_it_makes_the_same_few_queries_for_5_and_500_payments(
    client, vendor, django_assert_max_num_queries, sort
):
    few = CustomerFactory(vendor=vendor, email="few@example.com")
    many = CustomerFactory(vendor=vendor, email="many@example.com")
    payments_for(few, 5)
    payments_for(many, 500)
    PaymentFactory(order=OrderFactory(customer=many))  # one with an invoice among them
    counts = []
    for customer in (few, many):
        sign_in(client, customer)
        with django_assert_max_num_queries(10) as captured:
            response = client.get(PRINT, {"sort": sort})
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert len(order_ids(response.text)) == 501


def test_bob_sees_only_his_purchases(client, alice, bob):
    PaymentFactory(order__customer=alice, order__product="Alice Course")
    PaymentFactory(order__customer=bob, order__product="Bob Course")
    sign_in(client, bob)
    page = client.get(PRINT).text
    assert "Bob Course" in page
    assert "Alice Course" not in page and "alice@example.com" not in page


def test_a_customer_of_another_vendor_gets_nothing_of_northwind(client, alice, acme_alice):
    PaymentFactory(order__customer=alice, order__product="Northwind Course")
    PaymentFactory(order__customer=acme_alice, order__product="Acme Lizenz")
    sign_in(client, acme_alice)
    page = client.get("/acme/updateinfo/purchases/print/").text
    assert "Acme Lizenz" in page and "Northwind Course" not in page
    # Northwind's print view is not hers: the access form, none of its data.
    response = client.get(PRINT)
    assert response.status_code == 302
    assert response["Location"].startswith("/northwind/updateinfo/?next=")


def test_an_unknown_account_is_not_found(alice_client):
    assert alice_client.get("/nosuchvendor/updateinfo/purchases/print/").status_code == 404


def test_signed_out_it_sends_to_the_access_form(client, alice):
    PaymentFactory(order__customer=alice)
    response = client.get(PRINT)
    assert response.status_code == 302
    assert response["Location"].startswith("/northwind/updateinfo/?next=")
