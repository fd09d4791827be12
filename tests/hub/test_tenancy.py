import pytest

from tests.conftest import sign_in


def test_it_resolves_the_account_to_its_vendor(client, vendor):
    response = client.get("/northwind/updateinfo/")
    assert response.status_code == 200
    assert response.wsgi_request.vendor == vendor
    assert "Northwind Courses" in response.text


def test_an_unknown_account_is_a_404_in_the_hubs_look(client, db):
    response = client.get("/nobody-here/updateinfo/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/static/hub.css"' in response.text


def test_a_customer_signed_in_at_one_vendor_is_nobody_at_another(client, alice, other_vendor):
    sign_in(client, alice)
    assert "Hello, Alice Adams" in client.get("/northwind/updateinfo/").text
    response = client.get("/acme/updateinfo/")
    assert "Alice" not in response.text
    assert 'name="email"' in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/nobody-here/updateinfo/purchases/",
        "/nobody-here/updateinfo/purchases.csv",
        "/nobody-here/updateinfo/subscriptions/",
        "/nobody-here/updateinfo/contact/",
        "/nobody-here/updateinfo/invoices/NOBODY-000001/",
    ],
)
def test_an_unknown_account_is_a_404_on_every_hub_sub_path(client, vendor, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Northwind" not in response.text


@pytest.mark.parametrize(
    "path", ["/NORTHWIND/updateinfo/", "/Northwind/updateinfo/", "/NorthWind/updateinfo/contact/"]
)
def test_an_uppercase_account_is_not_the_lowercase_vendor(client, vendor, path):
    # Slugs are lowercase by rule; matching them case-insensitively would give
    # one hub two addresses (and two session scopes).
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_a_known_account_sub_path_resolves_the_vendor(client, vendor):
    # Signed out, the known account's page sends the visitor to its hub root
    # (the access form): the contrast with the unknown accounts' 404 above.
    response = client.get("/northwind/updateinfo/purchases/")
    assert response.status_code == 302
    assert response["Location"].startswith("/northwind/updateinfo/")
    assert response.wsgi_request.vendor == vendor
