"""Every URL pattern of the hub, generated from the URLconf so that a new URL
cannot be forgotten: a customer of another vendor and an anonymous visitor
get a 404 or the access form, never Northwind's data (issue 12, point 10)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from billing.refunds import refund_record
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory
from tests.support.urls import hub_routes

# Access pages answer everyone by design (the form, the code form, a link's
# Continue page); what they must not do is show Northwind's customer data.
PUBLIC = {"hub:home", "hub:access_request", "hub:access_code", "hub:access_link", "hub:signout"}
PUBLIC |= {"hub:email_confirm", "hub:api_link"}
# The language menu's POST serves signed-out visitors too; it stores a choice
# on the signed-in customer of this hub only (tests/hub/test_language_menu.py).
PUBLIC |= {"hub:language"}
# The public cancellation page answers everyone (§ 312k BGB: no sign-in before
# it); its confirmation opens only with the secret token its POST redirects to.
PUBLIC |= {"hub:rights_cancel", "hub:rights_cancel_done", "hub:rights_cancel_done_pdf"}
PUBLIC |= {"hub:rights_withdraw", "hub:rights_withdraw_done"}


@pytest.fixture
def northwind_data(alice):
    payment = PaymentFactory(order=OrderFactory(customer=alice, product="Secret Course"))
    subscription = SubscriptionFactory(customer=alice, product="Secret Course")
    refund, _ = refund_record(
        payment=payment,
        amount=Decimal("1.00"),
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_matrix",
    )
    return {
        "number": payment.invoice.number,
        "token": "x" * 43,
        "subscription_id": str(subscription.pk),
        # Each route gets an id that exists at Northwind: a made-up one would
        # be a 404 whatever the view's scoping.
        "hub:credit_note_pdf": {"number": refund.credit_note.number},
        "hub:credit_note_xml": {"number": refund.credit_note.number},
    }


def url_of(route, data: dict) -> str:
    values = {k: data[k] for k in route.parameters if k != "account"}
    values |= data.get(route.name, {})
    return route.path(account="northwind", **values)


def _check(response, route, method: str) -> None:
    body = response.content.decode(errors="replace")
    assert "Alice Adams" not in body and "alice@example.com" not in body, route.name
    assert "Secret Course" not in body, route.name
    if route.name in PUBLIC:
        assert response.status_code in (200, 302, 303, 404, 405), route.name
        return
    if response.status_code == 405:
        return  # the method is refused before any lookup, whatever the id
    if response.status_code == 302:
        # Sent to the access form of the hub in the URL, nothing more.
        assert response["Location"].startswith("/northwind/updateinfo/?"), route.name
    else:
        assert response.status_code == 404, (route.name, response.status_code)


@pytest.mark.parametrize("route", hub_routes(), ids=lambda r: r.name)
def test_a_customer_of_another_vendor_gets_nothing(route, northwind_data, acme_alice):
    visitor = Client()
    sign_in(visitor, acme_alice)
    url = url_of(route, northwind_data)
    for method in ("get", "post"):
        _check(getattr(visitor, method)(url), route, method)


@pytest.mark.parametrize("route", hub_routes(), ids=lambda r: r.name)
def test_an_anonymous_visitor_gets_nothing(route, northwind_data):
    url = url_of(route, northwind_data)
    for method in ("get", "post"):
        _check(getattr(Client(), method)(url), route, method)


def test_the_matrix_covers_every_hub_route():
    names = {route.name for route in hub_routes()}
    assert {"hub:invoice", "hub:invoice_pdf", "hub:purchases_csv", "hub:profile"} <= names
    assert {"hub:card", "hub:subscription_cancel", "hub:subscription_keep"} <= names
    assert {"hub:credit_note_pdf", "hub:invoice_xml", "hub:credit_note_xml"} <= names


def test_alice_herself_gets_every_id_of_the_matrix(client, alice, northwind_data):
    """The control: the ids above are real, so the 404s are the scoping's."""
    sign_in(client, alice)
    names = ("hub:invoice", "hub:credit_note_pdf", "hub:credit_note_xml", "hub:invoice_xml")
    for name in names + ("hub:subscription_cancel", "hub:card"):
        route = next(r for r in hub_routes() if r.name == name)
        response = client.get(url_of(route, northwind_data))
        assert response.status_code == 200, (name, response.status_code)


def test_every_signed_in_page_and_download_is_never_stored(client, alice, northwind_data):
    """Generated from the URLconf (issue 12, point 5): what Alice gets from any
    hub URL behind sign-in, no cache may keep."""
    sign_in(client, alice)
    for route in hub_routes():
        if route.name in PUBLIC:
            continue
        response = client.get(url_of(route, northwind_data))
        if response.status_code == 405:
            continue  # POST-only: nothing to store
        cache_control = {v.strip() for v in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache_control, (route.name, response["Cache-Control"])
