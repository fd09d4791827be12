""" "Email me a link" from the card page (issue 21, point 12): sent through a
magiclinks service, recorded with the client IP behind the proxy, with no
code (a code could only work in the browser that asked, and this email is
for later or another device), and the link it sends signs in and opens the
card page."""

import re

import pytest
from django.core import mail
from django.test import Client

from billing.models import AuditEvent
from magiclinks.models import AccessLink
from tests.magiclinks.fixtures import CODE_RE, LINK_RE, rate_limits_clear, signed_in
from tests.support.processor_fixtures import stripe_subscription

BASE = "/northwind/updateinfo/subscriptions"


@pytest.fixture(autouse=True)
def _rate_limits_isolated():
    rate_limits_clear()
    yield
    rate_limits_clear()


@pytest.fixture
def stripe_sub(stripe_vendor, alice):
    return stripe_subscription(alice)


def ask_for_link(client, sub, capture, **extra):
    with capture(execute=True):
        return client.post(f"{BASE}/{sub.pk}/card/email-link/", **extra)


def test_the_emailed_link_signs_in_on_another_device_and_opens_the_card_page(
    alice_client, alice, stripe_sub, vendor, django_capture_on_commit_callbacks
):
    response = ask_for_link(alice_client, stripe_sub, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    # No code that could never be used: the link is the way in.
    assert not CODE_RE.search(email.body)
    assert "type this code" not in email.body and "type this code" not in email.alternatives[0][0]
    assert "The link works once" in email.body
    path = LINK_RE.search(email.body).group(1)

    phone = Client()
    page = phone.get(path)
    assert page.status_code == 200 and "Continue" in page.text
    done = phone.post(path)
    card = f"{BASE}/{stripe_sub.pk}/card/"
    assert done.status_code == 303 and done["Location"] == card
    assert signed_in(phone, vendor) == alice
    assert phone.get(card).status_code == 200
    # Used once.
    assert phone.post(path)["Location"].endswith("?link=invalid")


def test_it_records_the_client_ip_behind_the_trusted_proxy(
    alice_client, alice, stripe_sub, settings, django_capture_on_commit_callbacks
):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    ask_for_link(
        alice_client,
        stripe_sub,
        django_capture_on_commit_callbacks,
        REMOTE_ADDR="10.9.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
    )
    link = AccessLink.objects.get(customer=alice)
    assert link.requested_ip == "198.51.100.23"
    assert link.code_hash == "" and link.binding_hash == ""
    event = AuditEvent.objects.get(action="access.requested")
    assert event.details == {"ip": "198.51.100.23", "from": "card_page"}


def test_it_keeps_to_the_access_forms_limit_per_email(
    alice_client, alice, stripe_sub, settings, django_capture_on_commit_callbacks
):
    settings.HUB_ACCESS_RATE_PER_EMAIL = (2, 3600)
    for _ in range(3):
        response = ask_for_link(alice_client, stripe_sub, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    page = alice_client.get(response["Location"]).text
    assert re.search("We sent a link a moment ago", page)
