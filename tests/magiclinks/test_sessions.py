"""The customer session: rotation, idle and absolute timeouts, sign-out,
`next` (issue 3, point 6)."""

import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from billing.models import AuditEvent
from magiclinks.sessions import hub_next_path
from tests.conftest import sign_in
from tests.factories import CustomerFactory, UserFactory

from .fixtures import is_signed_in, last_email_to, link_path, request_access, signed_in


def test_sign_in_rotates_the_session_key(client, vendor, alice, django_capture_on_commit_callbacks):
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    client.session.save()  # a session planted before sign-in
    planted = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=planted).exists()
    client.get(link_path(last_email_to("alice@example.com")))
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted
    assert not Session.objects.filter(session_key=planted).exists()
    assert is_signed_in(client, vendor, "Alice Adams")


def test_the_session_ends_after_30_minutes_without_activity(alice_client, vendor, clock):
    clock.advance(minutes=29)
    assert is_signed_in(alice_client, vendor, "Alice Adams")
    clock.advance(minutes=30, seconds=31)
    response = alice_client.get(vendor.hub_path)
    assert getattr(response.wsgi_request, "customer", None) is None
    assert "signed out after 30 minutes without activity" in response.text
    assert signed_in(alice_client, vendor) is None


def test_activity_keeps_the_session_alive(alice_client, vendor, clock):
    for _ in range(6):
        clock.advance(minutes=25)
        assert is_signed_in(alice_client, vendor, "Alice Adams")


def test_the_session_ends_after_12_hours_in_any_case(alice_client, vendor, clock):
    for _ in range(28):  # active every 25 minutes: 11 h 40
        clock.advance(minutes=25)
        assert is_signed_in(alice_client, vendor, "Alice Adams")
    clock.advance(minutes=20, seconds=1)  # 12 h and a second after sign-in
    response = alice_client.get(vendor.hub_path)
    assert getattr(response.wsgi_request, "customer", None) is None
    assert "a session lasts at most 12 hours" in response.text


def test_sign_out_ends_the_session_on_the_server(alice_client, vendor, alice):
    stolen = alice_client.cookies[settings.SESSION_COOKIE_NAME].value
    response = alice_client.post(f"{vendor.hub_path}signout/")
    assert response.status_code == 303
    assert response["Location"] == f"{vendor.hub_path}?ended=signed_out"
    assert "You have signed out." in alice_client.get(response["Location"]).text
    assert signed_in(alice_client, vendor) is None
    # A copy of the cookie taken before sign-out opens nothing.
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert signed_in(thief, vendor) is None
    assert not Session.objects.filter(session_key=stolen).exists()
    event = AuditEvent.objects.get(action="access.signed_out")
    assert event.customer == alice


def test_sign_out_is_a_post(alice_client, vendor):
    assert alice_client.get(f"{vendor.hub_path}signout/").status_code == 405
    assert is_signed_in(alice_client, vendor, "Alice Adams")


def test_sign_out_needs_the_csrf_token(vendor, alice):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, alice)
    assert browser.post(f"{vendor.hub_path}signout/").status_code == 403
    assert is_signed_in(browser, vendor, "Alice Adams")


def test_signing_out_at_one_vendor_keeps_the_other(client, vendor, alice, acme_alice, other_vendor):
    sign_in(client, alice)
    sign_in(client, acme_alice)
    client.post(f"{vendor.hub_path}signout/")
    assert signed_in(client, vendor) is None
    assert is_signed_in(client, other_vendor, "Alice at Acme")
    assert not AuditEvent.objects.filter(vendor=other_vendor).exists()


def test_customer_sign_out_keeps_a_staff_login(client, vendor, alice):
    # Staff who sign in after the customer (a sign-in flushes what was before).
    staff = UserFactory()
    sign_in(client, alice)
    client.force_login(staff)
    client.post(f"{vendor.hub_path}signout/")
    assert signed_in(client, vendor) is None
    assert client.get("/admin/").status_code == 200  # still the staff user


def test_signing_out_when_not_signed_in_just_goes_to_the_form(client, vendor):
    response = client.post(f"{vendor.hub_path}signout/")
    assert response.status_code == 303
    assert not AuditEvent.objects.exists()


def test_a_customer_signed_in_at_acme_is_nobody_at_northwind(client, acme_alice, alice, vendor):
    sign_in(client, acme_alice)
    assert signed_in(client, vendor) is None


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            "/northwind/updateinfo/purchases/?sort=-date",
            "/northwind/updateinfo/purchases/?sort=-date",
        ),
        ("/northwind/updateinfo/", "/northwind/updateinfo/"),
        ("", "/northwind/updateinfo/"),
        (None, "/northwind/updateinfo/"),
        ("/acme/updateinfo/", "/northwind/updateinfo/"),
        ("https://evil.example/northwind/updateinfo/", "/northwind/updateinfo/"),
        ("//evil.example/northwind/updateinfo/", "/northwind/updateinfo/"),
        ("/northwind/updateinfo/../../admin/", "/northwind/updateinfo/"),
        ("/northwind/updateinfo/\\evil", "/northwind/updateinfo/"),
        ("/northwind/updateinfo/\nx", "/northwind/updateinfo/"),
        ("/northwind/updateinfoX/", "/northwind/updateinfo/"),
    ],
)
def test_next_stays_inside_the_same_hub(vendor, value, expected):
    assert hub_next_path(value, vendor=vendor) == expected


def test_an_ended_session_comes_back_to_where_it_was(
    alice_client, vendor, clock, django_capture_on_commit_callbacks
):
    target = f"{vendor.hub_path}purchases/?sort=-price"
    clock.advance(minutes=31)
    response = alice_client.get(target)
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.startswith(f"{vendor.hub_path}?")
    page = alice_client.get(form_url)
    assert "signed out after 30 minutes without activity" in page.text
    assert 'name="next" value="/northwind/updateinfo/purchases/?sort=-price"' in page.text
    request_access(
        alice_client, vendor, "alice@example.com", django_capture_on_commit_callbacks, next=target
    )
    response = alice_client.get(link_path(last_email_to("alice@example.com")))
    assert response["Location"] == target
    assert alice_client.get(target).status_code == 200


def test_sign_in_drops_the_data_of_a_planted_session(
    client, vendor, other_vendor, alice, django_capture_on_commit_callbacks
):
    # An attacker plants a session that is signed in to *their* account at
    # another vendor and carries a value of their choosing.
    mallory = CustomerFactory(vendor=other_vendor, email="mallory@example.com", name="Mallory")
    sign_in(client, mallory)
    session = client.session
    session["planted"] = "yes"
    session.save()
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    client.get(link_path(last_email_to("alice@example.com")))
    assert is_signed_in(client, vendor, "Alice Adams")
    assert "planted" not in client.session
    assert signed_in(client, other_vendor) is None


def test_sign_in_rotates_the_csrf_token(client, vendor, alice, django_capture_on_commit_callbacks):
    client.get(vendor.hub_path)
    before = client.cookies[settings.CSRF_COOKIE_NAME].value
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    response = client.get(link_path(last_email_to("alice@example.com")))
    assert response.status_code == 303
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != before


def test_the_continue_page_names_the_account_it_signs_into(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    response = Client().get(link_path(last_email_to("alice@example.com")))
    assert response.status_code == 200
    assert "<strong>alice@example.com</strong>" in response.text


@pytest.mark.parametrize(
    "name", ["home", "profile", "purchases", "purchases_csv", "subscriptions", "contact"]
)
def test_signed_in_pages_are_never_stored(alice_client, vendor, name):
    from django.urls import reverse

    response = alice_client.get(reverse(f"hub:{name}", kwargs={"account": vendor.slug}))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


@pytest.mark.parametrize(
    "target",
    [
        "/northwind/updateinfo/%2e%2e/%2e%2e/acme/updateinfo/",
        "/northwind/updateinfo/..%2f..%2facme/updateinfo/",
        "/northwind/updateinfo/%252e%252e/%252e%252e/acme/updateinfo/",
        "/northwind/updateinfo//evil.example/",
        "/northwind/updateinfo/%2f%2fevil.example/",
        "/northwind/updateinfo/%5c%5cevil.example",
        "/northwind/updateinfo/..\\..\\acme/updateinfo/",
        "/northwind/updateinfo/purchases/%0d%0aSet-Cookie:x=1",
        "/northwind/updateinfo/../../acme/updateinfo/",
        "/northwind/updateinfo/./../updateinfo-evil/",
    ],
)
def test_next_is_normalised_and_stays_in_the_same_hub(vendor, target):
    assert hub_next_path(target, vendor=vendor) == vendor.hub_path


def test_next_keeps_a_path_and_query_inside_the_hub(vendor):
    assert hub_next_path("/northwind/updateinfo/purchases/?sort=-date", vendor=vendor) == (
        "/northwind/updateinfo/purchases/?sort=-date"
    )
    assert hub_next_path("/northwind/updateinfo/a/../purchases/", vendor=vendor) == (
        "/northwind/updateinfo/purchases/"
    )


def test_a_session_entry_never_loads_another_vendors_customer(client, vendor, other_vendor):
    """The customer is looked up within the entry's vendor: an entry at
    Northwind naming Acme's customer's id signs nobody in."""
    from magiclinks.sessions import SESSION_KEY

    stranger = CustomerFactory(vendor=other_vendor, email="stranger@example.com")
    session = client.session
    now = int(time.time())
    session[SESSION_KEY] = {str(vendor.pk): {"customer": stranger.pk, "since": now, "seen": now}}
    session.save()
    response = client.get(f"{vendor.hub_path}purchases/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{vendor.hub_path}?next=")
    assert SESSION_KEY not in client.session  # the entry is gone, not just ignored
