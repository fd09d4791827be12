import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from billing.models import Order, Payment
from tests.conftest import sign_in
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    PaymentFactory,
    SubscriptionFactory,
    payments_bulk,
)

PURCHASES = "/northwind/updateinfo/purchases/"


def rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def order_ids(page: str) -> list[str]:
    return re.findall(r'data-label="Order ID">([^<]+)<', page)


def test_it_lists_one_time_and_subscription_payments_with_every_column(alice_client, alice):
    when = timezone.make_aware(datetime(2026, 3, 14, 12))
    PaymentFactory(
        order__customer=alice,
        order__number="ORD-7",
        order__product="Course Workbook",
        amount=Decimal("1234.50"),
        created_at=when,
    )
    subscription = SubscriptionFactory(customer=alice, product="Pro Membership")
    order = OrderFactory(customer=alice, number="ORD-8", product="Pro Membership")
    PaymentFactory(order=order, subscription=subscription, created_at=when - timedelta(days=30))
    PaymentFactory(order=order, subscription=subscription, created_at=when - timedelta(days=60))
    page = alice_client.get(PURCHASES).text
    assert len(rows(page)) == 3
    first = rows(page)[0]
    assert "Mar 14, 2026" in first
    assert "Course Workbook" in first
    assert "$1,234.50" in first
    assert "ORD-7" in first
    assert "Paid" in first
    invoice = Payment.objects.get(order__number="ORD-7").invoice
    assert f'href="/northwind/updateinfo/invoices/{invoice.number}/"' in first
    assert page.count("Pro Membership") == 2


def test_it_lists_failed_refunded_and_zero_payments_but_not_a_trial(alice_client, alice):
    PaymentFactory(order__customer=alice, order__product="Declined", status="failed")
    PaymentFactory(order__customer=alice, order__product="Returned", status="refunded")
    PaymentFactory(order__customer=alice, order__product="Sampler", order__amount=Decimal("0.00"))
    trial = SubscriptionFactory(customer=alice, product="Trial Plan", status="trialing")
    OrderFactory(
        customer=alice, product="Trial Plan", subscription=trial, status=Order.Status.PENDING
    )
    page = alice_client.get(PURCHASES).text
    assert len(rows(page)) == 3
    declined = next(r for r in rows(page) if "Declined" in r)
    assert "Failed" in declined
    assert "/invoices/" not in declined  # a failed payment has no invoice
    assert "Refunded" in next(r for r in rows(page) if "Returned" in r)
    assert "$0.00" in next(r for r in rows(page) if "Sampler" in r)
    assert "Trial Plan" not in page


def test_a_failed_payments_invoice_cell_is_a_dash_with_words_for_screen_readers(
    alice_client, alice
):
    PaymentFactory(order__customer=alice, order__product="Declined", status="failed")
    page = alice_client.get(PURCHASES).text
    (declined,) = rows(page)
    cell = declined.split('data-label="Invoice">', 1)[1].split("</td>", 1)[0]
    assert '<span class="muted purchases__no-invoice" aria-hidden="true">—</span>' in cell
    assert '<span class="visually-hidden">No invoice</span>' in cell
    assert "None" not in page


def test_it_shows_how_many_purchases_there_are(alice_client, alice):
    PaymentFactory(order__customer=alice)
    page = alice_client.get(PURCHASES).text
    assert '<p class="purchases__count">1 purchase</p>' in page
    for _ in range(2):
        PaymentFactory(order__customer=alice, status="failed")
    page = alice_client.get(PURCHASES).text
    assert '<p class="purchases__count">3 purchases</p>' in page


def test_the_count_costs_no_query(alice_client, alice, django_assert_max_num_queries):
    for i in range(30):
        PaymentFactory(order__customer=alice, order__number=f"ORD-{i:03d}", invoice=False)
    with django_assert_max_num_queries(10) as captured:
        page = alice_client.get(PURCHASES).text
    assert '<p class="purchases__count">30 purchases</p>' in page
    assert "30 purchases, page 1 of 2" in page  # the caption says it too
    # It comes with the customer's row (Customer.payment_count).
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts == []


def test_the_price_is_in_the_payments_currency_and_the_vendors_locale(client, acme_alice):
    PaymentFactory(order__customer=acme_alice, amount=Decimal("1234.50"))
    sign_in(client, acme_alice)
    # Acme is German: German notation (CLDR's, with a no-break space).
    assert "1.234,50\xa0€" in client.get("/acme/updateinfo/purchases/").text


@pytest.fixture
def history(alice):
    """Four payments whose every sort gives a different order."""
    now = timezone.now()
    specs = [
        ("ORD-B", "30.00", "paid", 3),
        ("ORD-D", "10.00", "refunded", 1),
        ("ORD-A", "20.00", "failed", 2),
        ("ORD-C", "40.00", "paid", 4),
    ]
    for number, amount, status, days_ago in specs:
        PaymentFactory(
            order__customer=alice,
            order__number=number,
            amount=Decimal(amount),
            status=status,
            created_at=now - timedelta(days=days_ago),
        )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["ORD-D", "ORD-A", "ORD-B", "ORD-C"]),
        ("-date", ["ORD-D", "ORD-A", "ORD-B", "ORD-C"]),
        ("date", ["ORD-C", "ORD-B", "ORD-A", "ORD-D"]),
        ("price", ["ORD-D", "ORD-A", "ORD-B", "ORD-C"]),
        ("-price", ["ORD-C", "ORD-B", "ORD-A", "ORD-D"]),
        ("order", ["ORD-A", "ORD-B", "ORD-C", "ORD-D"]),
        ("-order", ["ORD-D", "ORD-C", "ORD-B", "ORD-A"]),
        ("status", ["ORD-A", "ORD-B", "ORD-C", "ORD-D"]),
        ("-status", ["ORD-D", "ORD-C", "ORD-B", "ORD-A"]),
        ("nonsense", ["ORD-D", "ORD-A", "ORD-B", "ORD-C"]),
        ("-id", ["ORD-D", "ORD-A", "ORD-B", "ORD-C"]),
    ],
)
def test_it_sorts_by_each_column_and_falls_back_to_newest_first(
    alice_client, history, sort, expected
):
    assert order_ids(alice_client.get(PURCHASES, {"sort": sort}).text) == expected


def test_the_headers_link_to_their_sort_and_mark_the_current_one(alice_client, history):
    page = alice_client.get(PURCHASES, {"sort": "price"}).text
    assert re.search(r'<th scope="col" class="num" aria-sort="ascending">\s*<a[^>]*'
                     r'href="\?sort=-price"', page)  # fmt: skip
    assert 'href="?sort=-date"' in page
    assert 'href="?sort=order"' in page
    assert page.count("aria-sort=") == 1
    page = alice_client.get(PURCHASES).text
    assert 'aria-sort="descending"' in page
    assert 'href="?sort=date"' in page


def test_it_shows_25_rows_a_page_and_keeps_the_sort_across_pages(alice_client, alice):
    now = timezone.now()
    for i in range(61):
        PaymentFactory(
            order__customer=alice,
            order__number=f"ORD-{i:03d}",
            created_at=now - timedelta(days=i),
            invoice=False,
        )
    first = alice_client.get(PURCHASES, {"sort": "order"}).text
    assert order_ids(first)[:2] == ["ORD-000", "ORD-001"]
    assert len(rows(first)) == 25
    assert 'href="?sort=order&amp;page=2" rel="next"' in first
    assert "61 purchases, page 1 of 3" in first
    third = alice_client.get(PURCHASES, {"sort": "order", "page": 3}).text
    assert order_ids(third) == [f"ORD-{i:03d}" for i in range(50, 61)]
    assert "download" in third and "purchases.csv?sort=order" in third


def test_the_page_links_mark_the_current_page_and_elide_the_middle(alice_client, alice):
    payments_bulk(OrderFactory(customer=alice), 25 * 9)
    page = alice_client.get(PURCHASES, {"sort": "-price", "page": 5}).text
    links = page.split('<ul class="pagination__pages">', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", links)
    # 1 … 4 5 6 … 9: the ends, the current page and one on each side.
    assert len(items) == 7
    assert items[1] == items[5] == '<span aria-hidden="true">…</span>'
    assert items[3] == (
        '<a aria-current="page" href="?sort=-price&amp;page=5">'
        '<span class="visually-hidden">Page </span>5</a>'
    )
    assert links.count("aria-current") == 1
    assert 'href="?sort=-price&amp;page=9"' in items[6]


def test_the_sort_menu_offers_every_sort_and_selects_the_current_one(alice_client, history):
    page = alice_client.get(PURCHASES, {"sort": "-order"}).text
    menu = page.split('<select id="sort-select" name="sort">', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', menu)
    assert [value for value, _, _ in options] == [
        "-date", "date", "-price", "price", "order", "-order", "status", "-status"
    ]  # fmt: skip
    assert [value for value, selected, _ in options if selected] == ["-order"]
    assert ("-order", " selected", "Order ID, Z to A") in options


@pytest.mark.parametrize(
    ("page", "first_id"),
    [("0", "ORD-000"), ("abc", "ORD-000"), ("99", "ORD-025"), ("-1", "ORD-000"), ("", "ORD-000")],
)
def test_an_invalid_page_number_shows_the_first_or_last_page(alice_client, alice, page, first_id):
    for i in range(30):
        PaymentFactory(order__customer=alice, order__number=f"ORD-{i:03d}", invoice=False)
    response = alice_client.get(PURCHASES, {"sort": "order", "page": page})
    assert response.status_code == 200
    assert order_ids(response.text)[0] == first_id


def test_equal_dates_keep_one_order_across_pages(alice_client, alice):
    moment = timezone.now()
    for i in range(30):
        PaymentFactory(
            order__customer=alice, order__number=f"ORD-{i:03d}", created_at=moment, invoice=False
        )
    seen = order_ids(alice_client.get(PURCHASES).text)
    seen += order_ids(alice_client.get(PURCHASES, {"page": 2}).text)
    assert sorted(seen) == [f"ORD-{i:03d}" for i in range(30)]


def test_it_says_so_when_there_are_no_purchases(alice_client):
    page = alice_client.get(PURCHASES).text
    assert "No purchases yet." in page
    assert "purchases.csv" not in page


def test_it_prints_as_a_clean_table(alice_client, alice):
    PaymentFactory(order__customer=alice)
    page = alice_client.get(PURCHASES).text
    assert "<table" in page and "<caption" in page
    from django.contrib.staticfiles import finders

    css = Path(finders.find("hub.css")).read_text(encoding="utf-8")
    print_rules = css[css.index("@media print") :]
    for hidden in (".hub-nav", ".signout", ".actions", ".button", ".pagination", ".sort-form"):
        assert hidden in print_rules.split("{", 2)[1]
    assert "display: table-header-group" in print_rules


def payments_for(customer, count: int) -> None:
    now = timezone.now()
    order = OrderFactory(customer=customer)
    Payment.objects.bulk_create(
        Payment(
            vendor=customer.vendor,
            customer=customer,
            order=order,
            order_number=order.number,  # bulk_create skips Payment.save()
            amount=Decimal(i % 50),
            currency="USD",
            status="paid" if i % 7 else "failed",
            created_at=now - timedelta(hours=i),
            processor="stripe",
        )
        for i in range(count)
    )


@pytest.mark.parametrize("sort", ["-date", "price", "order", "-status"])
def test_it_makes_the_same_few_queries_for_5_and_5000_payments(
    client, vendor, django_assert_max_num_queries, sort
):
    few = CustomerFactory(vendor=vendor, email="few@example.com")
    many = CustomerFactory(vendor=vendor, email="many@example.com")
    payments_for(few, 5)
    payments_for(many, 5000)
    PaymentFactory(order__customer=many)  # one with an invoice among them
    counts = []
    for customer in (few, many):
        sign_in(client, customer)
        with django_assert_max_num_queries(10) as captured:
            response = client.get(PURCHASES, {"sort": sort, "page": 2})
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_bob_sees_only_his_purchases(client, alice, bob):
    PaymentFactory(order__customer=alice, order__product="Alice Course")
    PaymentFactory(order__customer=bob, order__product="Bob Course")
    sign_in(client, bob)
    page = client.get(PURCHASES).text
    assert "Bob Course" in page
    assert "Alice Course" not in page


def test_a_customer_of_another_vendor_sees_only_that_vendors_purchases(client, alice, acme_alice):
    PaymentFactory(order__customer=alice, order__product="Northwind Course")
    PaymentFactory(order__customer=acme_alice, order__product="Acme Lizenz")
    sign_in(client, acme_alice)
    page = client.get("/acme/updateinfo/purchases/").text
    assert "Acme Lizenz" in page
    assert "Northwind Course" not in page


def test_signed_in_at_northwind_is_sent_to_the_access_form_at_acme(alice_client, acme_alice):
    PaymentFactory(order__customer=acme_alice)
    response = alice_client.get("/acme/updateinfo/purchases/")
    assert response.status_code == 302
    assert response["Location"] == "/acme/updateinfo/?next=%2Facme%2Fupdateinfo%2Fpurchases%2F"


def test_the_demo_histories(client, db):
    from django.core.management import call_command

    from vendors.models import Vendor

    call_command("seed_demo", "--force", stdout=io.StringIO())
    demo, acme = Vendor.objects.get(slug="demo"), Vendor.objects.get(slug="acme")
    sign_in(client, demo.customers.get(email="alex@example.com"))
    page = client.get("/demo/updateinfo/purchases/").text
    assert "61 purchases, page 1 of 3" in page
    assert len(rows(client.get("/demo/updateinfo/purchases/", {"page": 3}).text)) == 11
    sign_in(client, demo.customers.get(email="casey@example.com"))
    page = client.get("/demo/updateinfo/purchases/").text
    assert "$0.00" in next(r for r in rows(page) if "Pay-what-you-want" in r)
    sign_in(client, demo.customers.get(email="eli@example.com"))
    assert "No purchases yet." in client.get("/demo/updateinfo/purchases/").text
    sign_in(client, acme.customers.get(email="alex@example.com"))
    page = client.get("/acme/updateinfo/purchases/").text
    # With the purchase of three days ago, inside acme's withdrawal period.
    assert len(rows(page)) == 4
    assert page.count('href="/acme/updateinfo/withdraw/?order=') == 1
    assert all("€" in row and "$" not in row for row in rows(page))


@pytest.mark.parametrize(
    "value", ["a & b", "<b>", "x > y", 'say "hi"', "it's", "plain", "€1,234.56", ""]
)
def test_a_row_value_is_escaped_exactly_as_html_escape_does(value):
    # purchase_rows skips html.escape for a value without any of its five
    # characters; with one of them the result must be the same.
    from html import escape

    from hub.templatetags.purchase_rows import _text

    assert _text(value) == escape(value, quote=True)


def test_row_values_are_escaped_and_a_refund_shows_its_amount(alice_client, alice):
    # The rows are built in Python (hub.templatetags.purchase_rows), not by
    # the template engine: its escaping must hold for every value.
    payment = PaymentFactory(
        order__customer=alice,
        order__product='<script>alert("x")</script>',
        order__number="ORD-<b>",
        status="refunded",
        amount=Decimal("40.00"),
    )
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=Decimal("15.00"))
    page = alice_client.get(PURCHASES).text
    (row,) = rows(page)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in row
    assert "ORD-&lt;b&gt;" in row
    assert '<span class="purchases__refunded">$15.00</span>' in row
    assert f'aria-label="Invoice {payment.invoice.number}"' in row


def test_the_header_sort_menu_and_page_links_are_template_with_marked_strings():
    """The page's chrome is template, so its words are translated where all
    the others are; only the rows are built in Python (for the print view)."""
    from django.template.loader import get_template
    from django.utils.translation.template import templatize

    from hub.purchase_views import COLUMNS, SORT_CHOICES
    from hub.templatetags import purchase_rows

    assert set(purchase_rows.register.tags) == {"purchase_rows"}
    source = Path(get_template("hub/purchases.html").origin.name).read_text(encoding="utf-8")
    for markup in ("aria-sort=", "<option value=", 'class="pagination__pages"', "sort-label"):
        assert markup in source
    assert "gettext(u'Page')" in templatize(source)
    # The labels the view hands the template are marked where they are written.
    for label in [label for _, label, _, _ in COLUMNS] + [label for _, label in SORT_CHOICES]:
        assert type(label).__name__ == "__proxy__"  # gettext_lazy
