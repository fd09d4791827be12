"""Opening the emailed link (issue 3, points 3 and 4)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.models import AuditEvent
from magiclinks.models import AccessLink

from .fixtures import is_signed_in, last_email_to, link_path, request_access, signed_in

WRITES = ("INSERT", "UPDATE", "DELETE")


def asked_link(client, vendor, email, capture) -> str:
    request_access(client, vendor, email, capture)
    return link_path(last_email_to(email))


def test_the_asking_browser_signs_in_with_one_click(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    response = client.get(path)
    # Signed in at once, and redirected so the token leaves the address bar.
    assert response.status_code == 303
    assert response["Location"] == vendor.hub_path
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert response.cookies["hub_access"].value == ""  # the binding is spent
    assert is_signed_in(client, vendor, "Alice Adams")
    link = AccessLink.objects.get()
    assert link.used_at is not None
    event = AuditEvent.objects.get(action="access.redeemed")
    assert event.customer == alice
    assert event.details == {"method": "link", "purpose": "customer_request"}


def test_another_browser_gets_a_continue_button_and_nothing_is_written(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    other = Client()
    with CaptureQueriesContext(connection) as queries:
        response = other.get(path)
    assert response.status_code == 200
    assert "Continue" in response.text
    assert f'<form method="post" action="{path}">' in response.text
    # Nothing submits the form by itself: no inline script, no auto-submit.
    assert "<script>" not in response.text and "<script nonce" not in response.text
    assert "submit()" not in response.text and "http-equiv" not in response.text
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert not [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert AccessLink.objects.get().used_at is None
    # Continue signs in on that browser.
    response = other.post(path)
    assert response.status_code == 303
    assert response["Location"] == vendor.hub_path
    assert is_signed_in(other, vendor, "Alice Adams")
    assert signed_in(client, vendor) is None


def test_mail_scanners_use_nothing_up(client, vendor, alice, django_capture_on_commit_callbacks):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    scanner = Client()
    with CaptureQueriesContext(connection) as queries:
        assert scanner.head(path).status_code == 200
        assert scanner.get(path).status_code == 200
        assert scanner.get(path, follow=True).status_code == 200
    assert not [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    link = AccessLink.objects.get()
    assert link.used_at is None and link.attempts == 0
    # The person's own click still works afterwards.
    assert client.get(path).status_code == 303
    assert is_signed_in(client, vendor, "Alice Adams")
    assert signed_in(scanner, vendor) is None


def test_a_head_from_the_asking_browser_does_not_sign_in(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    assert client.head(path).status_code == 200
    assert AccessLink.objects.get().used_at is None


def test_a_link_works_once(client, vendor, alice, django_capture_on_commit_callbacks):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    assert client.get(path).status_code == 303
    again = Client()
    response = again.post(path)
    assert response.status_code == 303
    assert response["Location"] == f"{vendor.hub_path}?link=invalid"
    page = again.get(response["Location"])
    assert "expired or has already been used" in page.text
    assert f'action="{vendor.hub_path}access/"' in page.text  # the way to a new link
    assert signed_in(again, vendor) is None
    assert AuditEvent.objects.filter(action="access.redeemed").count() == 1


def test_a_used_link_opened_again_lands_on_the_access_form(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    client.get(path)
    response = Client().get(path, follow=True)
    assert response.redirect_chain == [(f"{vendor.hub_path}?link=invalid", 303)]
    assert "expired or has already been used" in response.text


def test_a_link_expires_after_an_hour(
    client, vendor, alice, clock, django_capture_on_commit_callbacks
):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    clock.advance(minutes=59)
    assert Client().get(path).status_code == 200  # still the Continue page
    clock.advance(minutes=1, seconds=1)
    assert client.get(path)["Location"] == f"{vendor.hub_path}?link=invalid"
    assert Client().post(path)["Location"] == f"{vendor.hub_path}?link=invalid"
    assert AccessLink.objects.get().used_at is None
    assert signed_in(client, vendor) is None


def test_the_lifetime_follows_the_setting(
    client, vendor, alice, clock, settings, django_capture_on_commit_callbacks
):
    settings.ACCESS_LINK_MAX_AGE = 600
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    clock.advance(minutes=11)
    assert client.get(path)["Location"] == f"{vendor.hub_path}?link=invalid"


def test_an_unknown_token_lands_on_the_access_form(client, vendor):
    response = client.get(f"{vendor.hub_path}access/{'x' * 43}/")
    assert response["Location"] == f"{vendor.hub_path}?link=invalid"
    assert client.post(f"{vendor.hub_path}access/nope/")["Location"].endswith("?link=invalid")


def test_a_link_of_one_vendor_is_invalid_under_another(
    client, vendor, alice, acme_alice, other_vendor, django_capture_on_commit_callbacks
):
    path = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    elsewhere = path.replace("/northwind/", "/acme/")
    stranger = Client()
    assert stranger.get(elsewhere)["Location"] == f"{other_vendor.hub_path}?link=invalid"
    assert stranger.post(elsewhere)["Location"] == f"{other_vendor.hub_path}?link=invalid"
    assert signed_in(stranger, other_vendor) is None
    assert AccessLink.objects.get().used_at is None
    # Signed in at northwind by its own link: nobody at acme.
    client.get(path)
    assert is_signed_in(client, vendor, "Alice Adams")
    assert signed_in(client, other_vendor) is None


def test_it_keeps_the_first_link_valid_when_the_customer_asks_twice(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    first = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    second = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    assert first != second
    assert Client().post(first)["Location"] == vendor.hub_path


def test_it_revokes_the_other_links_once_one_is_used(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    first = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    second = asked_link(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    assert Client().post(second)["Location"] == vendor.hub_path
    assert Client().post(first)["Location"] == f"{vendor.hub_path}?link=invalid"
    assert AccessLink.objects.filter(revoked_at__isnull=False).count() == 1


def test_a_new_link_for_bob_leaves_alices_alone(
    client, vendor, alice, bob, django_capture_on_commit_callbacks
):
    alices = asked_link(Client(), vendor, "alice@example.com", django_capture_on_commit_callbacks)
    asked_link(Client(), vendor, "bob@example.com", django_capture_on_commit_callbacks)
    other = Client()
    assert other.post(alices)["Location"] == vendor.hub_path
    assert is_signed_in(other, vendor, "Alice Adams")
    assert not is_signed_in(other, vendor, "Bob Brown")


def test_next_is_honoured_inside_the_same_hub_only(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    inside = f"{vendor.hub_path}subscriptions/"
    for target, expected in [
        (inside, inside),
        ("https://evil.example/", vendor.hub_path),
        ("//evil.example/northwind/updateinfo/", vendor.hub_path),
        ("/acme/updateinfo/purchases/", vendor.hub_path),
        ("/northwind/updateinfo/\\\\evil.example", vendor.hub_path),
    ]:
        request_access(
            client, vendor, "alice@example.com", django_capture_on_commit_callbacks, next=target
        )
        path = link_path(last_email_to("alice@example.com"))
        assert Client().post(path)["Location"] == expected, target


def test_the_access_form_carries_next(client, vendor):
    target = f"{vendor.hub_path}purchases/"
    response = client.get(vendor.hub_path, {"next": target})
    assert f'name="next" value="{target}"' in response.text
    response = client.get(vendor.hub_path, {"next": "https://evil.example/"})
    assert "evil.example" not in response.text
