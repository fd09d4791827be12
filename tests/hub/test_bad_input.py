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
