from tests.conftest import sign_in

CONTACT = "/northwind/updateinfo/contact/"


def test_it_shows_address_support_email_and_social_links(alice_client, vendor):
    vendor.address = "Northwind Courses LLC\n500 Market Street"
    vendor.instagram_url = "https://instagram.com/northwind.example"
    vendor.website_url = "https://northwind.example"
    vendor.save()
    page = alice_client.get(CONTACT).text
    assert "Contact Northwind Courses" in page
    assert "Northwind Courses LLC<br>500 Market Street" in page
    assert '<a href="mailto:help@nw.example">help@nw.example</a>' in page
    assert 'href="https://instagram.com/northwind.example"' in page
    assert ">Instagram</a>" in page
    assert 'href="https://northwind.example"' in page
    assert "Facebook" not in page
    assert 'aria-current="page">Contact' in page


def test_it_leaves_out_what_the_vendor_has_not_set(alice_client, vendor):
    vendor.address = ""
    vendor.save()
    page = alice_client.get(CONTACT).text
    assert "mailto:help@nw.example" in page
    assert "<address>" not in page
    assert "Online" not in page


def test_it_says_so_when_nothing_is_set(alice_client, vendor):
    vendor.address = ""
    vendor.support_email = ""
    vendor.save()
    page = alice_client.get(CONTACT).text
    assert "has not published contact details" in page
    assert "mailto:" not in page


def test_it_escapes_what_the_vendor_typed(alice_client, vendor):
    vendor.address = "<script>alert(1)</script>"
    vendor.save()
    page = alice_client.get(CONTACT).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_bob_sees_the_same_vendor_contact_page(client, bob):
    sign_in(client, bob)
    page = client.get(CONTACT).text
    assert "help@nw.example" in page
    assert "Alice" not in page


def test_a_customer_of_another_vendor_sees_that_vendors_contact_details(
    client, vendor, acme_alice, other_vendor
):
    other_vendor.support_email = "hilfe@acme.example"
    other_vendor.save()
    sign_in(client, acme_alice)
    page = client.get("/acme/updateinfo/contact/").text
    assert "hilfe@acme.example" in page
    assert "help@nw.example" not in page


def test_signed_in_at_northwind_is_sent_to_the_access_form_at_acme(alice_client, other_vendor):
    response = alice_client.get("/acme/updateinfo/contact/")
    assert response.status_code == 302
    assert response["Location"] == "/acme/updateinfo/?next=%2Facme%2Fupdateinfo%2Fcontact%2F"


def test_it_asks_to_sign_in_first(client, vendor):
    assert client.get(CONTACT).status_code == 302


def test_it_loads_nothing_from_third_parties(alice_client, vendor):
    vendor.instagram_url = "https://instagram.com/northwind.example"
    vendor.save()
    response = alice_client.get(CONTACT)
    page = response.text
    # Outside links are links, never something the page loads.
    for tag in ("<script", "<link", "<img", "<iframe"):
        for part in page.split(tag)[1:]:
            attributes = part.split(">", 1)[0]
            assert "http://" not in attributes and "https://" not in attributes
    assert "script-src 'self'" in response["Content-Security-Policy"]
