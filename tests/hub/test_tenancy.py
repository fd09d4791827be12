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
    assert 'href="/static/hub.css"' in response.text or "hub.css" in response.text


def test_a_customer_signed_in_at_one_vendor_is_nobody_at_another(client, alice, other_vendor):
    sign_in(client, alice)
    assert "Hello, Alice Adams" in client.get("/northwind/updateinfo/").text
    response = client.get("/acme/updateinfo/")
    assert "Alice" not in response.text
    assert 'name="email"' in response.text
