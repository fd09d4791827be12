"""The site's own pages: `/` says what this is, a favicon, and a 500 page in
the hub's look that keeps the vendor's branding where the vendor is known."""

import pytest
from django.test import Client


def test_the_root_explains_the_site_and_links_to_the_console(client, db):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Customer Hub" in html and "/updateinfo/" in html
    assert 'href="/admin/"' in html


def test_there_is_a_favicon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()


@pytest.fixture
def broken_view(settings, monkeypatch):
    """A hub page that fails: the subscriptions selector raises."""
    from billing import subscriptions

    def boom(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("hub.subscription_views.subscription_rows", boom)
    return subscriptions


def test_a_server_error_in_a_hub_page_keeps_the_vendors_look(alice, vendor, broken_view):
    from tests.conftest import sign_in

    client = Client(raise_request_exception=False)
    sign_in(client, alice)
    response = client.get("/northwind/updateinfo/subscriptions/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "Northwind Courses" in html
    assert "help@nw.example" in html and "boom" not in html
