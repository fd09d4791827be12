"""Hostile or mistyped input anywhere in the hub gets an answer, never a 500."""

import pytest

from tests.conftest import sign_in

PATHS = [
    "/northwind/updateinfo/purchases/?page=%00",
    "/northwind/updateinfo/purchases/?page=999999999999999999999",
    "/northwind/updateinfo/purchases/?sort=%27;--",
    "/northwind/updateinfo/purchases.csv?sort=zzz",
    "/northwind/updateinfo/invoices/%2e%2e%2f/",
    "/northwind/updateinfo/invoices/" + "A" * 500 + "/",
    "/northwind/updateinfo/invoices/X/pdf",
    "/northwind/updateinfo/access/" + "a" * 3000 + "/",
    "/northwind/updateinfo/access/%00/",
    "/northwind/updateinfo/?next=//evil.example",
    "/northwind/updateinfo/?email=%00",
    "/northwind/updateinfo/invoices/%00/",
    "/northwind/updateinfo/invoices/A%00B/pdf",
    "/northwind/updateinfo/invoices/%01/",
    "/northwind/updateinfo/access/abc%00def/",
    "/northwind/updateinfo/purchases/?sort=%00",
]


@pytest.mark.parametrize("path", PATHS)
def test_odd_addresses_never_answer_500(client, alice, path):
    sign_in(client, alice)
    assert client.get(path).status_code < 500


@pytest.mark.parametrize(
    "data",
    [
        {"email": "a" * 5000 + "@x.com"},
        {"email": "\x00@x.com"},
        {},
        {"email": ["a@x.com", "b@x.com"]},
    ],
)
def test_odd_access_requests_never_answer_500(client, vendor, data):
    r = client.post("/northwind/updateinfo/access/", data)
    assert r.status_code < 500


@pytest.mark.parametrize("data", [{"code": "abcdef"}, {"code": "1" * 5000}, {"code": "\x00"}, {}])
def test_odd_codes_never_answer_500(client, vendor, data):
    assert client.post("/northwind/updateinfo/access/code/", data).status_code < 500


@pytest.mark.parametrize(
    "data",
    [
        {"email": "not"},
        {"country": "ZZZ", "email": "alice@example.com"},
        {"name": "x" * 5000, "email": "alice@example.com"},
        {"email": "\x00"},
    ],
)
def test_odd_profile_input_never_answers_500(client, alice, data):
    sign_in(client, alice)
    assert client.post("/northwind/updateinfo/profile/", data).status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/northwind/updateinfo/invoices/%00/",
        "/northwind/updateinfo/invoices/A%00B/pdf",
        "/northwind/updateinfo/invoices/%1b/",
        "/northwind/updateinfo/access/abc%00def/",
    ],
)
def test_it_answers_404_to_a_control_character_in_the_path(postgres, client, alice, path):
    sign_in(client, alice)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "email", ['"al ice"@example.com', "alice\x01@example.com", "al'ice@example.com"]
)
def test_it_refuses_an_email_with_quotes_or_control_characters(client, vendor, alice, email):
    response = client.post("/northwind/updateinfo/access/", {"email": email})
    assert response.status_code == 200
    assert "without quotes, spaces" in response.text or "control characters" in response.text


@pytest.mark.parametrize(
    "data",
    [
        {"email": '"x"@example.com', "name": "Alice"},
        {"email": "alice@example.com", "name": "Al\x07ice"},
        {"email": "alice@example.com", "city": "Ber\x00lin"},
    ],
)
def test_it_refuses_control_characters_in_the_profile_with_a_message(client, alice, data):
    sign_in(client, alice)
    response = client.post("/northwind/updateinfo/profile/", data)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    alice.refresh_from_db()
    assert alice.name == "Alice Adams" and alice.email == "alice@example.com"
