"""Issue 28 point 5 (WCAG 2.4.2, 3.1.2): every page's title says where one
is (which page of the history, that a form has an error, whose 404), and the
vendor's own words (product names) carry the vendor's language when the page
is in another one."""

import re

import pytest

from tests.factories import PaymentFactory, SubscriptionFactory

HUB = "/northwind/updateinfo/"


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_the_second_page_of_purchases_says_so_in_its_title(alice_client, alice):
    PaymentFactory.create_batch(26, order__customer=alice)
    first = alice_client.get(f"{HUB}purchases/").text
    second = alice_client.get(f"{HUB}purchases/?page=2").text
    assert title(first) == "Purchase history, page 1 of 2 · Northwind Courses"
    assert title(second) == "Purchase history, page 2 of 2 · Northwind Courses"


def test_a_single_page_of_purchases_has_the_plain_title(alice_client, alice):
    PaymentFactory(order__customer=alice)
    assert title(alice_client.get(f"{HUB}purchases/").text) == (
        "Purchase history · Northwind Courses"
    )


def test_the_access_form_with_an_error_says_so_in_its_title(client, vendor):
    plain = client.get(HUB).text
    wrong = client.post(f"{HUB}access/", {"email": "not an email"}).text
    assert title(plain) == "Sign in · Northwind Courses"
    assert title(wrong) == "Error: Sign in · Northwind Courses"


def test_the_profile_form_with_an_error_says_so_in_its_title(alice_client):
    page = alice_client.post(f"{HUB}profile/", {"name": "", "email": "nope"}).text
    assert title(page).startswith("Error: Update my info")


def test_a_hubs_404_names_the_vendor(client, vendor):
    response = client.get(f"{HUB}no-such-page/")
    assert response.status_code == 404
    assert title(response.text) == "Page not found · Northwind Courses"


def test_the_404_of_an_unknown_account_names_no_vendor(client, db):
    assert title(client.get("/nobody-here/updateinfo/").text) == "Page not found"


@pytest.fixture
def german_vendor(vendor, alice):
    # A German vendor's products are German; Alice chose English pages.
    vendor.locale = "de"
    vendor.save()
    alice.language = "en"
    alice.save()
    return vendor


def test_product_names_carry_the_vendors_language_on_a_page_in_another(
    alice_client, alice, german_vendor
):
    PaymentFactory(order__customer=alice, order__product="Jahresabo")
    subscription = SubscriptionFactory(customer=alice, product="Monatsabo")
    dashboard = alice_client.get(HUB).text
    purchases = alice_client.get(f"{HUB}purchases/").text
    subscriptions = alice_client.get(f"{HUB}subscriptions/").text
    cancel = alice_client.get(f"{HUB}subscriptions/{subscription.pk}/card/").text
    assert '<html lang="en" dir="ltr">' in dashboard
    assert '<span lang="de">Jahresabo</span>' in dashboard
    assert 'lang="de">Jahresabo</td>' in purchases
    assert '<span lang="de">Monatsabo</span>' in subscriptions
    assert '<span lang="de">Monatsabo</span>' in cancel


def test_product_names_on_a_page_in_the_vendors_language_are_not_marked(alice_client, alice):
    PaymentFactory(order__customer=alice, order__product="Annual plan")
    assert "Annual plan" in alice_client.get(f"{HUB}purchases/").text
    assert 'lang="' not in alice_client.get(f"{HUB}purchases/").text.split("<body", 1)[1]


def test_every_page_that_names_a_product_marks_its_language(alice_client, alice, german_vendor):
    """The pages and labels that came after the first ones: the pay page,
    the subscriptions page's hidden button names and table caption, the
    invoice's lines, and the public cancellation page's contract choice and
    confirmation (issue 28 point 5)."""
    from rights.models import CancellationDeclaration
    from tests.factories import OrderFactory

    payment = PaymentFactory(order__customer=alice, order__product="Jahresabo")
    past_due = SubscriptionFactory(customer=alice, product="Monatsabo", status="past_due")
    order = OrderFactory(customer=alice, number="ORD-1", subscription=past_due, product="Monatsabo")
    PaymentFactory(order=order, subscription=past_due, status="failed")
    marked = '<span lang="de">Monatsabo</span>'

    pay = alice_client.get(f"{HUB}subscriptions/{past_due.pk}/pay/").text
    assert f'<h1 id="pay-title">Pay for {marked}</h1>' in pay
    subscriptions = alice_client.get(f"{HUB}subscriptions/").text
    assert f"Failed payments for {marked}</caption>" in subscriptions
    assert f'<span class="visually-hidden"> for {marked}</span>' in subscriptions
    assert f'<span class="visually-hidden"> {marked}</span>' in subscriptions
    assert "Monatsabo" not in subscriptions.replace(marked, "")
    invoice = alice_client.get(f"{HUB}invoices/{payment.invoice.number}/").text
    assert '<td><span lang="de">Jahresabo</span></td>' in invoice

    cancel = alice_client.get(f"{HUB}cancel/").text
    assert f"{marked} (ORD-1)</label>" in cancel
    response = alice_client.post(
        f"{HUB}cancel/",
        {
            "kind": "ordinary",
            "name": "Alice Adams",
            "email": "alice@example.com",
            "contract": str(past_due.pk),
            "when": "asap",
        },
    )
    assert response.status_code == 303, response.text
    assert CancellationDeclaration.objects.get().subscription == past_due
    # The confirmation reads the browser's language, not the session's
    # (it is the same page for strangers): this browser chose English.
    alice_client.cookies["hub_language"] = "en"
    done = alice_client.get(response["Location"]).text
    assert '<html lang="en"' in done
    assert f"<dd>{marked} · " in done


def test_a_fallback_product_name_is_ours_and_unmarked(alice_client, alice, german_vendor):
    # billing.products: "Subscription" stands in for a name the processor
    # did not give; it is in the page's language, not the vendor's.
    SubscriptionFactory(customer=alice, product="Subscription")
    cancel = alice_client.get(f"{HUB}cancel/").text
    assert 'lang="de"' not in cancel.split("<body", 1)[1].split("<footer", 1)[0]
