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


@pytest.mark.parametrize("debug", [False, True])
def test_a_server_error_in_a_hub_page_keeps_the_vendors_look(
    alice, vendor, broken_view, settings, debug, caplog
):
    # With DEBUG on as well: the demo shows what a customer would see, and
    # the traceback goes to the log instead of the page.
    from tests.conftest import sign_in

    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    sign_in(client, alice)
    response = client.get("/northwind/updateinfo/subscriptions/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "Northwind Courses" in html
    assert "help@nw.example" in html and "boom" not in html
    assert "Traceback" not in html
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def test_outside_the_hub_debug_keeps_djangos_technical_500(db, settings, monkeypatch):
    settings.DEBUG = True

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("hub.views.render", boom)  # the landing page at / fails
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "RuntimeError" in response.content.decode()  # the developer's page


# --- 404 ------------------------------------------------------------------------------

TECHNICAL_404 = "Using the URLconf"  # a line of Django's DEBUG 404 page


@pytest.mark.parametrize("debug", [True, False])
def test_a_mistyped_hub_page_is_a_404_in_the_vendors_look(client, vendor, settings, debug):
    settings.DEBUG = debug
    response = client.get("/northwind/updateinfo/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Northwind Courses" in html
    assert TECHNICAL_404 not in html
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("debug", [True, False])
def test_an_object_outside_the_customers_scope_is_a_branded_404(client, alice, settings, debug):
    from tests.conftest import sign_in

    settings.DEBUG = debug
    sign_in(client, alice)
    response = client.get("/northwind/updateinfo/invoices/NOPE-1/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Northwind Courses" in html
    assert "No Invoice matches" not in html and TECHNICAL_404 not in html


def test_an_unknown_account_is_the_hubs_404_even_in_debug(client, vendor, settings):
    settings.DEBUG = True
    response = client.get("/nosuch/updateinfo/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Northwind Courses" not in html
    assert "No such account" not in html


def test_outside_the_hub_debug_keeps_djangos_technical_404(client, db, settings):
    settings.DEBUG = True
    response = client.get("/no-such-thing/")
    assert response.status_code == 404
    assert TECHNICAL_404 in response.content.decode()
