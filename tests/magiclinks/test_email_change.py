"""A new email takes effect only when the link sent to it is opened (issue
12, point 3)."""

import re

from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from billing import services
from billing.models import AuditEvent
from magiclinks.models import AccessLink
from tests.conftest import sign_in
from tests.factories import CustomerFactory

from .fixtures import is_signed_in, last_email_to, link_path, request_access, signed_in

PROFILE = "/northwind/updateinfo/profile/"
CONFIRM_RE = re.compile(r"https?://[^/\s]+(/[a-z0-9-]+/updateinfo/email/[A-Za-z0-9_-]{40,}/)")


def form_data(**changes):
    data = {"name": "Alice Adams", "email": "alice@example.com", "country": "US"}
    return {**data, **changes}


def ask_for(client, capture, email: str):
    with capture(execute=True):
        return client.post(PROFILE, form_data(email=email), follow=True)


def confirm_path(address: str) -> str:
    match = CONFIRM_RE.search(last_email_to(address).body)
    assert match, last_email_to(address).body
    return match.group(1)


def test_it_changes_the_email_only_when_the_link_is_opened(
    alice_client, alice, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    synced = []
    monkeypatch.setattr(services, "customer_sync_to_processor", lambda **kw: synced.append(kw))
    response = ask_for(alice_client, django_capture_on_commit_callbacks, "  Alice.New@Example.COM ")
    assert "open the link we have just sent to the new address" in response.text
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    path = confirm_path("alice.new@example.com")
    # A GET (a mail scanner, a preview) changes nothing.
    page = Client().get(path)
    assert page.status_code == 200 and "alice.new@example.com" in page.text
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        done = Client().post(path)
    assert "Your email is changed" in done.text
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    event = AuditEvent.objects.get(action="profile.updated")
    assert event.details == {"fields": ["email"], "previous_email": "alice@example.com"}
    assert synced == [{"customer": alice, "fields": ["email"]}]
    notice = last_email_to("alice@example.com")
    assert notice.subject == "Your email address at Northwind Courses was changed"
    # The link works once.
    assert "This link no longer works" in Client().post(path).text


def test_a_typo_does_not_lock_the_customer_out(
    alice_client, vendor, alice, django_capture_on_commit_callbacks
):
    ask_for(alice_client, django_capture_on_commit_callbacks, "alice@exmaple.com")
    other = Client()
    request_access(other, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    other.get(link_path(last_email_to("alice@example.com")))
    assert is_signed_in(other, vendor, "Alice Adams")


def test_the_form_does_not_tell_that_another_customer_has_the_email(
    alice_client, alice, bob, django_capture_on_commit_callbacks
):
    free = ask_for(alice_client, django_capture_on_commit_callbacks, "free@example.com")
    taken = ask_for(alice_client, django_capture_on_commit_callbacks, "BOB@example.com")
    assert taken.status_code == free.status_code == 200
    assert "Another account" not in taken.text
    assert "open the link we have just sent" in taken.text
    with django_capture_on_commit_callbacks(execute=True):
        result = Client().post(confirm_path("bob@example.com"))
    assert "The change could not be completed" in result.text
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.email, bob.email) == ("alice@example.com", "bob@example.com")


def test_confirming_ends_the_other_sessions_and_unused_links(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    here, elsewhere = Client(), Client()
    sign_in(here, alice)
    sign_in(elsewhere, alice)
    request_access(Client(), vendor, "alice@example.com", django_capture_on_commit_callbacks)
    pending = link_path(last_email_to("alice@example.com"))
    ask_for(here, django_capture_on_commit_callbacks, "alice.new@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        here.post(confirm_path("alice.new@example.com"))
    assert is_signed_in(here, vendor, "Alice Adams")
    assert signed_in(elsewhere, vendor) is None
    assert Client().post(pending)["Location"] == f"{vendor.hub_path}?link=invalid"
    assert AccessLink.objects.filter(revoked_at__isnull=True, used_at__isnull=True).count() == 0


def test_a_newer_request_replaces_the_pending_one(
    alice_client, alice, django_capture_on_commit_callbacks
):
    ask_for(alice_client, django_capture_on_commit_callbacks, "first@example.com")
    first = confirm_path("first@example.com")
    ask_for(alice_client, django_capture_on_commit_callbacks, "second@example.com")
    assert "This link no longer works" in Client().post(first).text
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_a_link_of_one_vendor_does_nothing_at_another(
    alice_client, alice, other_vendor, django_capture_on_commit_callbacks
):
    ask_for(alice_client, django_capture_on_commit_callbacks, "alice.new@example.com")
    path = confirm_path("alice.new@example.com").replace("/northwind/", "/acme/")
    with translation.override("de"):  # Acme's hub speaks German
        assert gettext("This link no longer works") in Client().post(path).text


def test_the_admin_cannot_change_a_customers_email_behind_their_back(admin_client, alice):
    """The customer page in the admin is read-only (the vendor console): an
    email changes only through the customer's own confirmed request."""
    data = {"vendor": alice.vendor_id, "email": "alice.new@example.com", "name": alice.name}
    response = admin_client.post(f"/admin/billing/customer/{alice.pk}/change/", data)
    assert response.status_code in (403, 200)
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_another_customers_confirmation_changes_only_them(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    carol = CustomerFactory(vendor=vendor, email="carol@example.com", name="Carol")
    sign_in(client, carol)
    ask_for(client, django_capture_on_commit_callbacks, "carol.new@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(confirm_path("carol.new@example.com"))
    alice.refresh_from_db()
    carol.refresh_from_db()
    assert (alice.email, carol.email) == ("alice@example.com", "carol.new@example.com")
