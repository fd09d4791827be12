"""The vendor API (issue 11, point 6): hub links and profile links, keys,
errors, rate limits, OpenAPI. The live-server tests use a real key over HTTP,
created in the admin as an owner would."""

import json
import re
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.test import Client
from django.utils import timezone

from billing.models import AuditEvent
from magiclinks.models import AccessLink
from tests.magiclinks.fixtures import LINK_RE, last_email_to, rate_limits_clear
from vendors.api_keys import api_key_create, api_key_revoke
from vendors.models import ApiKey

HUB_LINKS = "/api/v1/hub-links"
PROFILE_LINKS = "/api/v1/profile-links"


@pytest.fixture(autouse=True)
def _rate_limits_isolated():
    rate_limits_clear()
    yield
    rate_limits_clear()


@pytest.fixture
def key(vendor, northwind_staff):
    return api_key_create(vendor=vendor, name="Website", user=northwind_staff)[1]


@pytest.fixture
def acme_key(other_vendor):
    return api_key_create(vendor=other_vendor, name="Acme site")[1]


def post(client, path, body, key=None, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)


def admin_created_key(client) -> str:
    """Create a key in the admin as Northwind's owner; the key on the page."""
    from vendors.models import Vendor

    vendor = Vendor.objects.get(slug="northwind")
    page = client.post("/admin/vendors/apikey/add/", {"vendor": vendor.pk, "name": "Website"})
    assert page.status_code == 200
    match = re.search(r'value="(hub_[0-9a-f]{8}_[A-Za-z0-9_-]{43})"', page.text)
    assert match, page.text
    return match.group(1)


# --- over a live server, with a key made in the admin --------------------------


@pytest.mark.usefixtures("alice")
def test_a_hub_link_signs_the_customer_in_once(live_server, settings, staff_client, vendor):
    settings.SITE_URL = live_server.url
    raw = admin_created_key(staff_client)
    response = requests.post(
        live_server.url + HUB_LINKS,
        headers={"Authorization": f"Bearer {raw}"},
        json={"email": "Alice@Example.com"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"url", "expires_at"}
    assert body["url"].startswith(f"{live_server.url}/northwind/updateinfo/access/api/")
    link = AccessLink.objects.get(purpose="api")
    assert link.customer.email == "alice@example.com"
    assert timedelta(minutes=4) < link.expires_at - timezone.now() <= timedelta(minutes=5)
    assert mail.outbox == []  # a hub link is never mailed

    browser = requests.Session()
    # A HEAD (a link preview) does not use it up.
    assert browser.head(body["url"], timeout=10).status_code == 405
    first = browser.get(body["url"], timeout=10)
    assert first.url == f"{live_server.url}/northwind/updateinfo/"
    assert "Alice Adams" in first.text
    assert first.history[0].headers["Referrer-Policy"] == "no-referrer"

    again = requests.get(body["url"], timeout=10)
    assert again.url.endswith("/northwind/updateinfo/?link=invalid")
    assert "Alice Adams" not in again.text
    assert AuditEvent.objects.filter(action="access.api_link_created").count() == 1
    assert ApiKey.objects.get().last_used_at is not None


@pytest.mark.usefixtures("alice")
def test_a_revoked_key_stops_working_at_once(live_server, settings, staff_client):
    settings.SITE_URL = live_server.url
    raw = admin_created_key(staff_client)
    auth = {"Authorization": f"Bearer {raw}"}
    body = {"email": "alice@example.com"}
    assert requests.post(live_server.url + HUB_LINKS, headers=auth, json=body, timeout=10).ok
    key = ApiKey.objects.get()
    staff_client.post(
        "/admin/vendors/apikey/",
        {"action": "revoke", "_selected_action": [str(key.pk)]},
    )
    response = requests.post(live_server.url + HUB_LINKS, headers=auth, json=body, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "Bearer" in response.json()["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_vendors_key_never_reaches_northwinds_customers(
    live_server, settings, alice, bob, acme_alice, acme_key
):
    settings.SITE_URL = live_server.url
    auth = {"Authorization": f"Bearer {acme_key}"}
    for body in ({"email": "bob@example.com"}, {"customer_id": str(bob.pk)}):
        response = requests.post(live_server.url + HUB_LINKS, headers=auth, json=body, timeout=10)
        assert response.status_code == 404, body
        assert response.json()["error"] == "not_found"
    # Acme's own alice is Acme's: the link signs in at Acme, never at Northwind.
    response = requests.post(
        live_server.url + HUB_LINKS, headers=auth, json={"email": "alice@example.com"}, timeout=10
    )
    assert response.json()["url"].startswith(f"{live_server.url}/acme/")
    assert AccessLink.objects.get().customer == acme_alice
    # The Acme link's token under Northwind's address is unknown there.
    token = response.json()["url"].rstrip("/").rsplit("/", 1)[1]
    stolen = requests.get(f"{live_server.url}/northwind/updateinfo/access/api/{token}/", timeout=10)
    assert stolen.url.endswith("?link=invalid")
    assert AccessLink.objects.get().used_at is None
    assert mail.outbox == []


def test_an_expired_hub_link_does_not_sign_in(live_server, settings, alice, key):
    settings.SITE_URL = live_server.url
    response = requests.post(
        live_server.url + HUB_LINKS,
        headers={"Authorization": f"Bearer {key}"},
        json={"customer_id": str(alice.pk)},
        timeout=10,
    )
    AccessLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    landed = requests.get(response.json()["url"], timeout=10)
    assert landed.url.endswith("?link=invalid")
    assert "Alice Adams" not in landed.text


# --- the test client: every answer, and the query count ------------------------


def test_it_finds_the_customer_by_processor_id(client, alice, key):
    alice.stripe_customer_id = "cus_alice123"
    alice.save()
    response = post(client, HUB_LINKS, {"customer_id": "cus_alice123"}, key)
    assert response.status_code == 201
    assert AccessLink.objects.get().customer == alice


def test_a_hub_link_costs_a_constant_number_of_queries(
    client, alice, key, django_assert_max_num_queries
):
    post(client, HUB_LINKS, {"email": "alice@example.com"}, key)  # last_used_at written
    with django_assert_max_num_queries(5):
        assert post(client, HUB_LINKS, {"email": "alice@example.com"}, key).status_code == 201


def test_an_emailed_links_token_does_nothing_at_the_api_address(client, vendor, alice):
    from magiclinks.services import profile_link_send

    profile_link_send(request_id="6f1d3c1e-0000-4000-8000-000000000001", customer=alice)
    token = LINK_RE.search(last_email_to("alice@example.com").body).group(1).rstrip("/")
    token = token.rsplit("/", 1)[1]
    response = client.get(f"/northwind/updateinfo/access/api/{token}/")
    assert response["Location"].endswith("?link=invalid")
    assert AccessLink.objects.get().used_at is None


def test_a_hub_link_does_not_revoke_the_customers_emailed_links(client, alice, key):
    from magiclinks.services import profile_link_send

    profile_link_send(request_id="6f1d3c1e-0000-4000-8000-000000000002", customer=alice)
    post(client, HUB_LINKS, {"email": "alice@example.com"}, key)
    emailed = AccessLink.objects.get(purpose="vendor_sent")
    assert emailed.revoked_at is None


def test_profile_links_emails_the_customer_and_never_returns_the_link(
    client, alice, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, PROFILE_LINKS, {"email": "alice@example.com"}, key)
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    message = last_email_to("alice@example.com")
    path = LINK_RE.search(message.body).group(1)
    assert path not in response.text and "/access/" not in response.text
    assert AccessLink.objects.get().purpose == "vendor_sent"
    event = AuditEvent.objects.get(action="access.profile_link_sent")
    assert event.details == {"api_key": "Website"}


def test_profile_links_for_an_unknown_email_is_a_404_and_sends_nothing(
    client, alice, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, PROFILE_LINKS, {"email": "nobody@example.com"}, key)
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "No customer of yours matches that email or id.",
    }
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("body", "status", "error", "says"),
    [
        ("{not json", 400, "bad_request", "must be JSON"),
        ("", 422, "invalid", ""),
        ({}, 422, "invalid", "either email or customer_id"),
        ({"email": "a@example.com", "customer_id": "7"}, 422, "invalid", "either email"),
        ({"email": "not-an-email"}, 422, "invalid", "email: not a valid email address"),
        ({"customer_id": "cus\x00evil"}, 422, "invalid", "customer_id"),
        ({"email": "a@example.com", "admin": True}, 422, "invalid", "admin"),
    ],
)
def test_bad_requests_get_a_json_error_that_says_what_is_wrong(
    client, alice, key, body, status, error, says
):
    response = post(client, HUB_LINKS, body, key)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["error"] == error
    assert says in response.json()["message"] or says in str(response.json().get("errors"))
    assert AccessLink.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Basic abc", "Bearer hub_00000000_" + "x" * 43],
)
def test_a_missing_or_unknown_key_is_a_401(client, alice, key, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = post(client, HUB_LINKS, {"email": "alice@example.com"}, **headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_a_right_prefix_with_a_wrong_secret_is_a_401(client, alice, key):
    forged = key.rsplit("_", 1)[0] + "_" + "A" * 43
    assert post(client, HUB_LINKS, {"email": "alice@example.com"}, forged).status_code == 401


def test_each_key_is_rate_limited_on_its_own(client, settings, alice, key, vendor):
    settings.HUB_API_RATE_PER_KEY = (2, 60)
    other = api_key_create(vendor=vendor, name="App")[1]
    body = {"email": "alice@example.com"}
    assert post(client, HUB_LINKS, body, key).status_code == 201
    assert post(client, PROFILE_LINKS, body, key).status_code == 202
    limited = post(client, HUB_LINKS, body, key)
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert post(client, HUB_LINKS, body, other).status_code == 201


def test_revoking_a_key_is_recorded_and_final(client, vendor, alice):
    api_key, raw = api_key_create(vendor=vendor, name="Old")
    api_key_revoke(api_key=api_key)
    assert post(client, HUB_LINKS, {"email": "alice@example.com"}, raw).status_code == 401
    assert ApiKey.objects.get().revoked_at is not None


def test_the_openapi_document_describes_both_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) == {"/api/v1/hub-links", "/api/v1/profile-links"}
    hub_links = document["paths"]["/api/v1/hub-links"]["post"]
    assert set(hub_links["responses"]) >= {"201", "404"}
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_the_interactive_docs_exist_in_debug_only(client, settings):
    assert client.get("/api/v1/docs").status_code == 404
    settings.DEBUG = True
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "openapi.json" in page.text


def test_a_session_cookie_is_not_an_api_key(staff_client, alice):
    response = post(staff_client, HUB_LINKS, {"email": "alice@example.com"})
    assert response.status_code == 401


def test_another_client_is_not_signed_in_by_creating_a_link(client, alice, key):
    post(client, HUB_LINKS, {"email": "alice@example.com"}, key)
    assert "Alice Adams" not in Client().get("/northwind/updateinfo/").text
