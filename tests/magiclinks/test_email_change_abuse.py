"""An email change cannot be used to mail strangers (issue 21, point 4): the
confirmation is rate limited per customer and per target address, refusals
are logged, and the mail to the new address carries no text the customer
wrote."""

import logging
import re

from django.core import mail
from django.test import Client

from billing.models import AuditEvent
from magiclinks.models import EmailChange
from tests.conftest import sign_in
from tests.factories import CustomerFactory

PROFILE = "/northwind/updateinfo/profile/"
ACME_PROFILE = "/acme/updateinfo/profile/"


def ask(client, capture, email: str, *, path=PROFILE, name="Alice Adams"):
    with capture(execute=True):
        return client.post(path, {"name": name, "email": email, "country": "US"}, follow=True)


def sent_to(address: str) -> int:
    return sum(1 for message in mail.outbox if address in message.to)


def test_the_mail_to_the_new_address_carries_no_text_the_customer_wrote(
    alice_client, alice, django_capture_on_commit_callbacks
):
    spam = "WIN A PRIZE at evil.example, call +1 555 0100"
    ask(alice_client, django_capture_on_commit_callbacks, "stranger@example.com", name=spam)
    alice.refresh_from_db()
    assert alice.name == spam  # saved on her own account, as she asked
    (message,) = [m for m in mail.outbox if "stranger@example.com" in m.to]
    html = message.alternatives[0][0]
    for part in (message.subject, message.body, html):
        assert "WIN A PRIZE" not in part and "evil.example" not in part
    assert "Northwind Courses" in message.body and "Hello," in message.body


def test_a_customer_gets_five_changes_an_hour_then_a_refusal_that_is_logged(
    alice_client, alice, django_capture_on_commit_callbacks, caplog, clock
):
    for n in range(5):
        ask(alice_client, django_capture_on_commit_callbacks, f"new{n}@example.com")
    assert EmailChange.objects.filter(customer=alice).count() == 5
    with caplog.at_level(logging.WARNING, logger="magiclinks.email_changes"):
        page = ask(alice_client, django_capture_on_commit_callbacks, "new5@example.com")
    assert "Your email was not changed: too many changes were asked for" in page.text
    assert "open the link we have just sent" not in page.text
    assert sent_to("new5@example.com") == 0
    assert EmailChange.objects.filter(customer=alice).count() == 5
    assert AuditEvent.objects.filter(action="profile.email_change_requested").count() == 5
    (record,) = [r for r in caplog.records if "email change refused" in r.getMessage()]
    assert f"customer {alice.pk}" in record.getMessage()
    assert "per customer" in record.getMessage()
    assert "new5@example.com" not in record.getMessage()
    # The window ends: the customer may ask again.
    clock.advance(hours=1, minutes=1)
    sign_in(alice_client, alice)  # the session itself has timed out by then
    ask(alice_client, django_capture_on_commit_callbacks, "new5@example.com")
    assert sent_to("new5@example.com") == 1


def test_one_address_gets_three_confirmations_a_day_whoever_asks_at_any_vendor(
    vendor, other_vendor, django_capture_on_commit_callbacks, caplog, clock
):
    askers = [CustomerFactory(vendor=vendor) for _ in range(3)]
    askers.append(CustomerFactory(vendor=other_vendor))
    clients = []
    for customer in askers:
        client = Client()
        sign_in(client, customer)
        clients.append(client)
    for client in clients[:2]:
        ask(client, django_capture_on_commit_callbacks, "Target@Example.com")
    ask(clients[3], django_capture_on_commit_callbacks, "target@example.com", path=ACME_PROFILE)
    assert sent_to("target@example.com") == 3
    with caplog.at_level(logging.WARNING, logger="magiclinks.email_changes"):
        page = ask(clients[2], django_capture_on_commit_callbacks, "target@example.com")
    assert "Your email was not changed" in page.text
    assert sent_to("target@example.com") == 3
    assert any("per target address" in r.getMessage() for r in caplog.records)
    # Another address is not held up by this one.
    ask(clients[2], django_capture_on_commit_callbacks, "mine@example.com")
    assert sent_to("mine@example.com") == 1
    clock.advance(days=1, minutes=1)
    sign_in(clients[2], askers[2])
    ask(clients[2], django_capture_on_commit_callbacks, "target@example.com")
    assert sent_to("target@example.com") == 4


def test_a_refused_email_change_still_saves_the_other_fields(
    alice_client, alice, django_capture_on_commit_callbacks, settings
):
    settings.HUB_EMAIL_CHANGE_RATE_PER_CUSTOMER = (1, 3600)
    ask(alice_client, django_capture_on_commit_callbacks, "one@example.com")
    page = ask(alice_client, django_capture_on_commit_callbacks, "two@example.com", name="Al")
    alice.refresh_from_db()
    assert alice.name == "Al" and alice.email == "alice@example.com"
    assert "Your details are saved." in page.text
    # A fixed window: what is left of the hour.
    assert re.search(r"Please try again in \d+ minutes?\.", page.text)
