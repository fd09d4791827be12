"""Signing in with the emailed code (issue 3, points 3 and 5)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.models import AuditEvent
from magiclinks.models import AccessLink

from .fixtures import code_of, is_signed_in, last_email_to, request_access, signed_in


def asked_code(client, vendor, email, capture) -> str:
    request_access(client, vendor, email, capture)
    return code_of(last_email_to(email))


def code_url(vendor) -> str:
    return f"{vendor.hub_path}access/code/"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_check_email_page_offers_the_code_form(client, vendor):
    response = client.get(code_url(vendor))
    assert response.status_code == 200
    assert 'autocomplete="one-time-code"' in response.text
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_the_code_signs_in_in_the_browser_that_asked(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    response = client.post(code_url(vendor), {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 303
    assert response["Location"] == vendor.hub_path
    assert is_signed_in(client, vendor, "Alice Adams")
    assert AccessLink.objects.get().used_at is not None
    event = AuditEvent.objects.get(action="access.redeemed")
    assert event.customer == alice and event.details["method"] == "code"


def test_the_code_does_not_work_in_another_browser(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    other = Client()
    response = other.post(code_url(vendor), {"code": code})
    assert response.status_code == 200
    assert "That code does not work" in response.text
    assert 'aria-invalid="true"' in response.text
    assert signed_in(other, vendor) is None
    assert AccessLink.objects.get().used_at is None


def test_a_code_works_once(client, vendor, alice, django_capture_on_commit_callbacks):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    assert client.post(code_url(vendor), {"code": code}).status_code == 303
    assert client.post(code_url(vendor), {"code": code}).status_code == 200


def test_five_wrong_tries_burn_the_code(client, vendor, alice, django_capture_on_commit_callbacks):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    for _ in range(5):
        response = client.post(code_url(vendor), {"code": wrong(code)})
        assert "That code does not work" in response.text
    response = client.post(code_url(vendor), {"code": code})
    assert response.status_code == 200
    assert "That code does not work" in response.text
    assert signed_in(client, vendor) is None
    assert AccessLink.objects.get().attempts == 5
    failed = AuditEvent.objects.filter(action="access.code_failed", customer=alice)
    assert failed.count() == 5


def test_the_fifth_try_may_still_be_right(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    for _ in range(4):
        client.post(code_url(vendor), {"code": wrong(code)})
    assert client.post(code_url(vendor), {"code": code}).status_code == 303


def test_a_malformed_code_gets_a_message_next_to_the_field(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    response = client.post(code_url(vendor), {"code": "12ab"})
    assert response.status_code == 200
    assert 'id="id_code_error"' in response.text
    assert "6 digits" in response.text
    assert 'value="12ab"' in response.text
    assert AccessLink.objects.get().attempts == 0  # not a try at the code


def test_an_expired_code_does_not_work(
    client, vendor, alice, clock, django_capture_on_commit_callbacks
):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    clock.advance(hours=1, seconds=1)
    assert client.post(code_url(vendor), {"code": code}).status_code == 200
    assert signed_in(client, vendor) is None


def test_a_code_of_one_vendor_does_not_work_at_another(
    client, vendor, other_vendor, alice, acme_alice, django_capture_on_commit_callbacks
):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    # Even with the binding cookie copied onto the other vendor's path.
    binding = client.cookies["hub_access"].value
    client.cookies["hub_access"] = binding
    client.cookies["hub_access"]["path"] = "/acme/updateinfo/access/"
    response = client.post(code_url(other_vendor), {"code": code})
    assert response.status_code == 200
    assert signed_in(client, other_vendor) is None
    assert AccessLink.objects.get().used_at is None


def test_the_code_page_of_an_unknown_email_refuses_every_code(
    client, vendor, django_capture_on_commit_callbacks
):
    request_access(client, vendor, "nobody@example.com", django_capture_on_commit_callbacks)
    response = client.post(code_url(vendor), {"code": "123456"})
    assert "That code does not work" in response.text
    assert AuditEvent.objects.get(action="access.code_failed").customer is None


def _statements(client, vendor, code) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(code_url(vendor), {"code": code})
    assert "That code does not work" in response.text
    # The kind of each statement and the table it works on.
    return [" ".join(q["sql"].split()[:3]) for q in queries.captured_queries]


def test_it_does_the_same_work_for_a_known_and_an_unknown_email(
    vendor, alice, django_capture_on_commit_callbacks
):
    known, unknown = Client(), Client()
    code = asked_code(known, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    request_access(unknown, vendor, "nobody@example.com", django_capture_on_commit_callbacks)
    known_work = _statements(known, vendor, wrong(code))
    unknown_work = _statements(unknown, vendor, wrong(code))
    assert [s.split()[0] for s in known_work] == [s.split()[0] for s in unknown_work]
    assert any(s.startswith("UPDATE") for s in unknown_work)
    assert any(s.startswith("INSERT") for s in unknown_work)


def test_it_caps_wrong_codes_per_email_across_links(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    for _ in range(2):
        code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
        for _ in range(5):
            client.post(code_url(vendor), {"code": wrong(code)})
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    response = client.post(code_url(vendor), {"code": code})
    assert "That code does not work" in response.text
    assert signed_in(client, vendor) is None
    # The link itself is not used up: it still works from the email.
    link = AccessLink.objects.order_by("-created_at").first()
    assert link.used_at is None


def test_the_wrong_code_cap_is_per_email(
    client, vendor, alice, bob, django_capture_on_commit_callbacks
):
    for _ in range(2):
        code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
        for _ in range(5):
            client.post(code_url(vendor), {"code": wrong(code)})
    other = Client()
    code = asked_code(other, vendor, "bob@example.com", django_capture_on_commit_callbacks)
    assert other.post(code_url(vendor), {"code": code}).status_code == 303
