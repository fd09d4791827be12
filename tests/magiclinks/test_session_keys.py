"""What a sign-out leaves in the session store, and the `next` values at the
edges of what is honoured (issue 27: survivors of mutation testing of
magiclinks/sessions.py)."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from magiclinks.sessions import hub_next_path
from tests.conftest import sign_in
from tests.factories import UserFactory

from .fixtures import signed_in

HOME = "/northwind/updateinfo/"


def test_signing_out_of_the_only_sign_in_leaves_no_session_behind(alice_client, vendor):
    alice_client.post(f"{vendor.hub_path}signout/")
    # Nothing else was in the session: no row is kept, and the browser's
    # cookie is cleared rather than pointed at a new, empty session.
    assert not Session.objects.exists()
    assert alice_client.cookies[settings.SESSION_COOKIE_NAME].value == ""


def test_signing_out_beside_a_staff_login_retires_the_old_key(client, vendor, alice):
    sign_in(client, alice)
    client.force_login(UserFactory())
    copied = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(f"{vendor.hub_path}signout/")
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != copied
    assert not Session.objects.filter(session_key=copied).exists()
    # The copy opens neither the hub nor the admin; the browser keeps its staff login.
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = copied
    assert signed_in(thief, vendor) is None
    assert thief.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_next_of_500_characters_is_honoured_and_one_of_501_is_not(vendor):
    at_limit = HOME + "a" * (500 - len(HOME))
    assert hub_next_path(at_limit, vendor=vendor) == at_limit
    assert hub_next_path(at_limit + "b", vendor=vendor) == HOME


@pytest.mark.parametrize(
    "target",
    [
        # `..` encoded three times over (%25 is `%`): still resolved, still refused.
        "/northwind/updateinfo/%25252e%25252e/%25252e%25252e/acme/updateinfo/",
        # Control characters in the query (a header injection), raw or encoded.
        "/northwind/updateinfo/purchases/?sort=%0d%0aSet-Cookie:x=1",
        "/northwind/updateinfo/purchases/?sort=\x1f",
        # DEL is a control character too.
        "/northwind/updateinfo/purchases%7f/",
        "/northwind/updateinfo/purchases/?sort=%7f",
    ],
)
def test_next_refuses_deeply_encoded_dots_and_control_characters(vendor, target):
    assert hub_next_path(target, vendor=vendor) == HOME


@pytest.mark.parametrize(
    "target",
    [
        # A space is no control character: an encoded one is kept, encoded.
        "/northwind/updateinfo/purchases/?q=two%20words",
        "/northwind/updateinfo/my%20files/",
        # A path without a trailing slash is not given one.
        "/northwind/updateinfo/invoices/12/pdf",
        "/northwind/updateinfo/purchases/~tilde_and-dots.csv",
        # The characters a path may carry unencoded stay as they are.
        "/northwind/updateinfo/invoices/a:b@c!d$e&f'g(h)i*j+k,l;m=n/",
    ],
)
def test_next_keeps_ordinary_paths_exactly(vendor, target):
    assert hub_next_path(target, vendor=vendor) == target


def test_a_signed_in_customer_is_answered_in_their_stored_language(client, vendor, alice):
    vendor.languages = ["en", "de"]
    vendor.save()
    alice.language = "de"
    alice.save()
    sign_in(client, alice)
    # Another browser, set to English: the customer's choice follows them.
    response = client.get(vendor.hub_path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.wsgi_request.LANGUAGE_CODE == "de"
    assert '<html lang="de"' in response.text
