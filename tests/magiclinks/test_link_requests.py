"""The links a customer or the vendor asks for, at the edges no other test
reached (issue 27: survivors of mutation testing of magiclinks/services.py):
the card page's "Email me a link" shares the access form's budget, speaks
the page's language and survives a mail server that is down; the daily purge
reports what it deleted."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import AuditEvent
from magiclinks.models import AccessLink, EmailChange
from magiclinks.services import access_records_purge
from tests.factories import SubscriptionFactory

from .fixtures import request_access

BASE = "/northwind/updateinfo/subscriptions"


@pytest.fixture
def card_sub(stripe_vendor, alice):
    return SubscriptionFactory(customer=alice, processor_customer_id="cus_alice")


def ask_for_card_link(client, sub, capture, **extra):
    with capture(execute=True):
        return client.post(f"{BASE}/{sub.pk}/card/email-link/", **extra)


def test_the_card_link_and_the_access_form_share_one_budget_per_email(
    alice_client, card_sub, settings, django_capture_on_commit_callbacks
):
    settings.HUB_ACCESS_RATE_PER_EMAIL = (2, 3600)
    request_access(
        alice_client, card_sub.vendor, "alice@example.com", django_capture_on_commit_callbacks
    )
    for _ in range(2):
        ask_for_card_link(alice_client, card_sub, django_capture_on_commit_callbacks)
    # One from the access form, one from the card page: the third is refused.
    assert len(mail.outbox) == 2
    assert AccessLink.objects.filter(next_path__endswith="/card/").count() == 1


@pytest.mark.parametrize(("stored", "expected"), [("", "fr"), ("de", "de")])
def test_the_card_link_speaks_the_customers_choice_else_the_pages(
    alice_client, card_sub, alice, django_capture_on_commit_callbacks, stored, expected
):
    card_sub.vendor.languages = ["en", "de", "fr"]
    card_sub.vendor.save()
    alice.language = stored
    alice.save()
    ask_for_card_link(
        alice_client, card_sub, django_capture_on_commit_callbacks, HTTP_ACCEPT_LANGUAGE="fr"
    )
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == expected
    event = AuditEvent.objects.get(action="access.requested")
    assert event.customer == alice and event.details["from"] == "card_page"


def test_a_mail_server_that_is_down_does_not_break_the_card_page(
    alice_client, card_sub, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    response = ask_for_card_link(alice_client, card_sub, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    # The link stays unsent, for the task's retry to mail with new secrets.
    link = AccessLink.objects.get()
    assert link.sent_at is None


def _change(customer, *, days_ago: int) -> EmailChange:
    created = timezone.now() - timedelta(days=days_ago)
    return EmailChange.objects.create(
        vendor=customer.vendor,
        customer=customer,
        new_email=f"new{days_ago}@example.com",
        token_hash=f"{days_ago:064d}",
        request_id=uuid.uuid4(),
        created_at=created,
        expires_at=created + timedelta(hours=1),
    )


def test_the_purge_deletes_email_changes_older_than_30_days_and_says_so(alice):
    _change(alice, days_ago=31)
    recent = _change(alice, days_ago=29)
    assert access_records_purge() == {
        "sessions": 0,
        "links": 0,
        "email_changes": 1,
        "session_keys": 0,
    }
    assert list(EmailChange.objects.all()) == [recent]


def test_a_mail_server_that_is_down_answers_the_access_form_as_for_anyone(
    vendor, alice, settings, django_capture_on_commit_callbacks
):
    """In the embedded mode the email is sent inside the request's commit:
    its failure is logged, never an error page that only known addresses
    would get."""
    from django.test import Client

    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    known = request_access(
        Client(), vendor, "alice@example.com", django_capture_on_commit_callbacks
    )
    unknown = request_access(
        Client(), vendor, "nobody@example.com", django_capture_on_commit_callbacks
    )
    assert known.status_code == unknown.status_code == 200
    assert "Check your email" in known.text and "Check your email" in unknown.text


def test_an_api_link_sign_in_is_recorded_as_such(client, vendor, alice):
    from urllib.parse import urlsplit

    from magiclinks.services import api_link_create

    _link, url = api_link_create(customer=alice, api_key_name="Website")
    response = client.get(urlsplit(url).path, REMOTE_ADDR="203.0.113.9")
    assert response.status_code in (302, 303)
    event = AuditEvent.objects.get(action="access.redeemed")
    assert event.customer == alice
    assert event.details == {"method": "api_link", "purpose": "api"}
    assert event.ip == "203.0.113.9"


def test_a_sign_out_is_recorded_with_the_browsers_address(alice_client, vendor, alice):
    alice_client.post(
        f"{vendor.hub_path}signout/", REMOTE_ADDR="203.0.113.10", HTTP_USER_AGENT="Agent/7"
    )
    event = AuditEvent.objects.get(action="access.signed_out")
    assert (event.customer, event.ip, event.user_agent) == (alice, "203.0.113.10", "Agent/7")


def test_a_mail_server_that_is_down_fails_no_profile_link_press(
    alice, bob, settings, django_capture_on_commit_callbacks
):
    """Staff (or the vendor's site) get their confirmation; the unsent link
    waits for the task's retry."""
    from django.test import RequestFactory

    from magiclinks.services import api_profile_link_queue, profile_link_queue
    from tests.factories import UserFactory

    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    request = RequestFactory().post("/admin/")
    request.user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        profile_link_queue(request=request, customer=alice)
    with django_capture_on_commit_callbacks(execute=True):
        api_profile_link_queue(customer=bob, api_key_name="Website")
    assert sorted(AccessLink.objects.values_list("customer__name", "sent_at")) == [
        (alice.name, None),
        (bob.name, None),
    ]


def test_the_card_link_task_prefers_the_stored_language_to_the_one_it_is_given(vendor, alice):
    """The task may run long after the page (a retry): the customer's choice
    made meanwhile wins over the page's language it carries."""
    from magiclinks.services import card_link_send

    vendor.languages = ["en", "de", "fr"]
    vendor.save()
    alice.language = "de"
    alice.save()
    card_link_send(
        request_id=str(uuid.uuid4()),
        customer=alice,
        ip=None,
        next_path=f"{vendor.hub_path}subscriptions/",
        language="fr",
    )
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == "de"


def test_the_card_link_task_is_safe_to_run_twice(vendor, alice):
    from magiclinks.services import card_link_send

    request_id = str(uuid.uuid4())
    sent = [
        card_link_send(request_id=request_id, customer=alice, ip=None, next_path="")
        for _ in range(2)
    ]
    assert sent[0] is not None and sent[1] is None
    assert len(mail.outbox) == 1
    assert AccessLink.objects.get().sent_at is not None


def test_a_staff_press_is_recorded_with_who_and_where(alice):
    from django.test import RequestFactory

    from magiclinks.services import profile_link_queue
    from tests.factories import UserFactory

    staff = UserFactory()
    request = RequestFactory().post(
        "/admin/", REMOTE_ADDR="203.0.113.11", HTTP_USER_AGENT="Staff/1"
    )
    request.user = staff
    profile_link_queue(request=request, customer=alice)
    event = AuditEvent.objects.get(action="access.profile_link_sent")
    assert (event.actor, event.user, event.ip, event.user_agent) == (
        "staff",
        staff,
        "203.0.113.11",
        "Staff/1",
    )


def test_the_profile_link_speaks_the_customers_language(vendor, alice):
    from magiclinks.services import profile_link_send

    vendor.languages = ["en", "fr"]
    vendor.save()
    alice.language = "fr"
    alice.save()
    profile_link_send(request_id=str(uuid.uuid4()), customer=alice)
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == "fr"


def test_an_api_link_is_recorded_with_the_key_that_asked(alice):
    from magiclinks.services import api_link_create

    api_link_create(customer=alice, api_key_name="Website")
    event = AuditEvent.objects.get(action="access.api_link_created")
    assert (event.actor, event.customer, event.details) == ("staff", alice, {"api_key": "Website"})


@pytest.mark.parametrize("meanwhile", ["used", "revoked", "expired"])
def test_a_link_that_ends_between_reading_and_using_it_signs_nobody_in(
    client, vendor, alice, monkeypatch, meanwhile
):
    """Another request (a second click, a sign-in that revokes the others)
    or the clock ends the link after it was read: the UPDATE that uses it
    checks again, so it opens nothing."""
    from urllib.parse import urlsplit

    from magiclinks import services

    _link, url = services.api_link_create(customer=alice)
    read = services.access_link_usable

    def read_then_end(**kwargs):
        link = read(**kwargs)
        now = timezone.now()
        ended = {
            "used": {"used_at": now},
            "revoked": {"revoked_at": now},
            "expired": {"expires_at": now - timedelta(seconds=1)},
        }[meanwhile]
        AccessLink.objects.filter(pk=link.pk).update(**ended)
        return link

    monkeypatch.setattr(services, "access_link_usable", read_then_end)
    response = client.get(urlsplit(url).path)
    assert response.status_code in (302, 303)
    assert getattr(client.get(vendor.hub_path).wsgi_request, "customer", None) is None
    assert not AuditEvent.objects.filter(action="access.redeemed").exists()


def test_an_access_request_records_the_address_and_speaks_the_pages_language(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    vendor.languages = ["en", "fr"]
    vendor.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{vendor.hub_path}access/",
            {"email": "alice@example.com"},
            REMOTE_ADDR="203.0.113.12",
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    link = AccessLink.objects.get()
    assert link.requested_ip == "203.0.113.12"
    event = AuditEvent.objects.get(action="access.requested")
    assert (event.customer, event.details) == (alice, {"ip": "203.0.113.12"})
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == "fr"


def test_the_access_email_prefers_the_stored_language_to_the_pages(vendor, alice):
    from magiclinks.services import access_link_send

    vendor.languages = ["en", "de", "fr"]
    vendor.save()
    alice.language = "de"
    alice.save()
    access_link_send(
        request_id=str(uuid.uuid4()),
        vendor=vendor,
        email="alice@example.com",
        binding_hash="",
        ip=None,
        language="fr",
    )
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == "de"


def test_signing_in_ends_ones_own_other_links_only_and_once(vendor, alice, bob, client, clock):
    from urllib.parse import urlsplit

    from magiclinks.services import api_link_create

    bobs, _ = api_link_create(customer=bob)
    first, _ = api_link_create(customer=alice)
    _, url = api_link_create(customer=alice)
    client.get(urlsplit(url).path)  # Alice signs in: her other links end
    first.refresh_from_db()
    revoked_at = first.revoked_at
    assert revoked_at is not None
    clock.advance(minutes=1)
    _, later_url = api_link_create(customer=alice)
    client.get(urlsplit(later_url).path)  # a later sign-in leaves that revocation as it was
    first.refresh_from_db()
    assert first.revoked_at == revoked_at
    bobs.refresh_from_db()
    assert bobs.revoked_at is None and bobs.used_at is None
