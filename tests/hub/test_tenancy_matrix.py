"""Every URL pattern of the hub, generated from the URLconf so that a new URL
cannot be forgotten: a customer of another vendor and an anonymous visitor
get a 404 or the access form, never Northwind's data (issue 12, point 10)."""

import pytest
from django.test import Client

from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory
from tests.support.urls import hub_routes

# Access pages answer everyone by design (the form, the code form, a link's
# Continue page); what they must not do is show Northwind's customer data.
PUBLIC = {"hub:home", "hub:access_request", "hub:access_code", "hub:access_link", "hub:signout"}
PUBLIC |= {"hub:email_confirm", "hub:api_link"}


@pytest.fixture
def northwind_data(alice):
    payment = PaymentFactory(order=OrderFactory(customer=alice, product="Secret Course"))
    subscription = SubscriptionFactory(customer=alice, product="Secret Course")
    return {
        "number": payment.invoice.number,
        "token": "x" * 43,
        "subscription_id": str(subscription.pk),
    }


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
    url = route.path(
        account="northwind", **{k: northwind_data[k] for k in route.parameters if k != "account"}
    )
    for method in ("get", "post"):
        _check(getattr(visitor, method)(url), route, method)


@pytest.mark.parametrize("route", hub_routes(), ids=lambda r: r.name)
def test_an_anonymous_visitor_gets_nothing(route, northwind_data):
    url = route.path(
        account="northwind", **{k: northwind_data[k] for k in route.parameters if k != "account"}
    )
    for method in ("get", "post"):
        _check(getattr(Client(), method)(url), route, method)


def test_the_matrix_covers_every_hub_route():
    names = {route.name for route in hub_routes()}
    assert {"hub:invoice", "hub:invoice_pdf", "hub:purchases_csv", "hub:profile"} <= names
