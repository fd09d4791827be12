"""The access form and the "check your email" answer (issue 3, points 1, 2, 9)."""

import re

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import AuditEvent
from magiclinks.models import AccessLink
from tests.factories import CustomerFactory

from .fixtures import access_url, code_of, last_email_to, link_path, request_access


def normalised(body: str) -> str:
    """The body less what must differ per response: the CSRF token and the
    CSP nonce of the page's style."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return re.sub(r'nonce="[^"]+"', "", body)


def test_it_shows_the_access_form_when_signed_out(client, vendor):
    response = client.get(vendor.hub_path)
    assert response.status_code == 200
    assert f'action="{access_url(vendor)}"' in response.text
    assert 'name="email"' in response.text
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_it_prefills_the_email_from_the_query(client, vendor):
    response = client.get(vendor.hub_path, {"email": "alice@example.com"})
    assert 'value="alice@example.com"' in response.text


def test_it_escapes_a_prefilled_email(client, vendor):
    response = client.get(vendor.hub_path, {"email": '"><script>x</script>'})
    assert "<script>x" not in response.text


def test_it_puts_an_invalid_email_error_next_to_the_field(client, vendor, alice):
    response = client.post(access_url(vendor), {"email": "alice@"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert 'id="id_email_error"' in response.text
    assert "complete email address" in response.text
    assert 'value="alice@"' in response.text  # nothing typed is lost
    assert mail.outbox == []
    assert "hub_access" not in response.cookies


def test_it_asks_for_an_email_when_none_is_typed(client, vendor):
    response = client.post(access_url(vendor), {"email": "  "})
    assert "Enter the email address you bought with" in response.text


def test_it_sends_the_access_email(client, vendor, alice, django_capture_on_commit_callbacks):
    response = request_access(
        client, vendor, "Alice@Example.com ", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert "Check your email" in response.text
    message = last_email_to("alice@example.com")
    assert len(mail.outbox) == 1
    assert "Northwind Courses" in message.subject
    assert message.from_email.startswith("Northwind Courses <")
    assert message.reply_to == ["help@nw.example"]
    path = link_path(message)
    code = code_of(message)
    assert f"http://testserver{path}" in message.body
    text = message.body
    assert "update their details or look at their purchase history" in text
    assert "once, and only for the next hour" in text
    assert "If you did not ask for this, you can ignore this email" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://testserver{path}?lang=en"' in html
    assert code in html
    assert vendor.brand_color in html
    assert "Northwind Courses" in html
    assert "<img" not in html  # no tracking pixels, no remote images


def test_it_answers_the_same_for_known_and_unknown_emails(
    client, vendor, settings, django_capture_on_commit_callbacks
):
    settings.HUB_ACCESS_RATE_PER_IP = (1000, 600)
    known = [CustomerFactory(vendor=vendor, email=f"known{i}@example.com") for i in range(50)]
    answers = set()
    statuses = set()
    for i, customer in enumerate(known):
        for email in (customer.email, f"nobody{i}@example.com"):
            response = request_access(client, vendor, email, django_capture_on_commit_callbacks)
            statuses.add(response.status_code)
            answers.add(normalised(response.text))
            assert "hub_access" in response.cookies
    assert statuses == {200}
    assert len(answers) == 1
    # The tasks did run: every known address got its email, no other did.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in known)
    assert AccessLink.objects.count() == 50


def test_it_sends_nothing_for_an_email_known_only_at_another_vendor(
    client, vendor, acme_alice, django_capture_on_commit_callbacks
):
    response = request_access(
        client, vendor, "alice@example.com", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert mail.outbox == []
    assert not AccessLink.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_records_a_request_for_real_customers_only(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    request_access(client, vendor, "nobody@example.com", django_capture_on_commit_callbacks)
    events = list(AuditEvent.objects.filter(action="access.requested"))
    assert len(events) == 1
    assert events[0].customer == alice
    assert events[0].vendor == vendor


def test_it_gives_the_asking_browser_a_binding_cookie_for_this_vendor_only(client, vendor):
    response = client.post(access_url(vendor), {"email": "alice@example.com"})
    cookie = response.cookies["hub_access"]
    assert cookie["path"] == "/northwind/updateinfo/access/"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert 0 < int(cookie["max-age"]) <= 3600
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_a_get_of_the_request_url_goes_back_to_the_form(client, vendor):
    response = client.get(access_url(vendor))
    assert response.status_code == 302
    assert response["Location"] == vendor.hub_path


def test_an_unknown_vendor_has_no_access_form(client, db):
    assert (
        client.post("/nobody-here/updateinfo/access/", {"email": "a@b.example"}).status_code == 404
    )
    assert client.get("/nobody-here/updateinfo/").status_code == 404


def test_it_says_why_a_session_ended(client, vendor):
    idle = client.get(vendor.hub_path, {"ended": "idle"}).text
    assert "signed out after 30 minutes without activity" in idle
    expired = client.get(vendor.hub_path, {"ended": "expired"}).text
    assert "a session lasts at most 12 hours" in expired
    signed_out = client.get(vendor.hub_path, {"ended": "signed_out"}).text
    assert "You have signed out." in signed_out
    other = client.get(vendor.hub_path, {"ended": "<b>hacked</b>"}).text
    assert "hacked" not in other


def test_the_request_itself_never_looks_the_email_up(client, vendor, alice):
    """The lookup is the task's job: in the request, a customer's email and a
    stranger's cost the same queries (the vendor, nothing about customers)."""
    counts = []
    for email in ("alice@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            assert client.post(access_url(vendor), {"email": email}).status_code == 200
        assert not [q for q in queries if "billing_customer" in q["sql"]]
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 2


def test_the_access_email_is_queued_only_when_the_request_commits(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    # Tasks run eagerly here: a send that did not wait for the commit would
    # already be in the outbox inside the block.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"{vendor.hub_path}access/", {"email": "alice@example.com"})
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
