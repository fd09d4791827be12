"""One access request is at most one email whose link works (issue 20):
a second run of the same request (a redelivered message) sends nothing
while the first is mailing, and a retry hours later mails a fresh link."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from magiclinks.models import AccessLink
from magiclinks.services import access_link_send
from magiclinks.tokens import secret_hash
from tests.magiclinks.fixtures import LINK_RE


def _send(vendor, request_id):
    return access_link_send(
        request_id=request_id, vendor=vendor, email="alice@example.com", binding_hash="", ip=None
    )


def _token(message) -> str:
    return LINK_RE.search(message.body)[1].rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_a_second_run_while_the_first_is_mailing_sends_nothing(vendor, alice, locmem, monkeypatch):
    request_id = str(uuid.uuid4())
    real_send = EmailBackend.send_messages
    second: list = []

    def send_while_a_duplicate_runs(self, messages):
        # The redelivered copy of the message starts while SMTP talks.
        if not second:
            second.append(_send(vendor, request_id))
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_while_a_duplicate_runs)
    link = _send(vendor, request_id)
    assert second == [None]  # the duplicate saw the claim and sent nothing
    assert len(mail.outbox) == 1
    link.refresh_from_db()
    # The one email's link is the link that works.
    assert secret_hash(_token(mail.outbox[0])) == link.token_hash
    assert link.sent_at is not None and link.send_claimed_until is None
    assert _send(vendor, request_id) is None  # and a later rerun sends nothing either
    assert len(mail.outbox) == 1


def test_a_retry_after_the_hour_mails_a_fresh_link_with_a_fresh_hour(
    vendor, alice, settings, clock
):
    request_id = str(uuid.uuid4())
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    with pytest.raises(ConnectionRefusedError):
        _send(vendor, request_id)
    link = AccessLink.objects.get(request_id=request_id)
    assert link.sent_at is None and link.send_claimed_until is None  # claim given back
    clock.advance(hours=5)  # SMTP was down for five hours
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _send(vendor, request_id)
    assert len(mail.outbox) == 1
    link.refresh_from_db()
    assert secret_hash(_token(mail.outbox[0])) == link.token_hash
    assert link.expires_at >= timezone.now() + timedelta(minutes=59)


def test_a_request_whose_customer_signed_in_since_is_not_mailed(vendor, alice, settings):
    request_id = str(uuid.uuid4())
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    with pytest.raises(ConnectionRefusedError):
        _send(vendor, request_id)
    AccessLink.objects.filter(request_id=request_id).update(revoked_at=timezone.now())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _send(vendor, request_id) is None
    assert mail.outbox == []


def test_the_claim_of_a_run_that_died_lapses(vendor, alice, locmem, settings):
    request_id = str(uuid.uuid4())
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    with pytest.raises(ConnectionRefusedError):
        _send(vendor, request_id)
    link = AccessLink.objects.get(request_id=request_id)
    # A run that was killed mid-send leaves its claim: a copy within the
    # lease sends nothing; the broker's redelivery (after the visibility
    # timeout, longer than the lease) finds it lapsed and sends.
    now = timezone.now()
    AccessLink.objects.filter(pk=link.pk).update(send_claimed_until=now + timedelta(seconds=60))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _send(vendor, request_id) is None
    AccessLink.objects.filter(pk=link.pk).update(send_claimed_until=now - timedelta(seconds=1))
    assert _send(vendor, request_id) is not None
    assert len(mail.outbox) == 1


def test_the_lease_is_shorter_than_the_visibility_timeout(settings):
    assert 0 < settings.ACCESS_LINK_SEND_LEASE < settings.CELERY_VISIBILITY_TIMEOUT


def test_an_email_change_mailed_by_one_run_is_not_mailed_by_its_duplicate(
    alice, locmem, monkeypatch, django_capture_on_commit_callbacks, clock
):
    from magiclinks.email_changes import email_change_send
    from magiclinks.models import EmailChange

    args = {"request_id": str(uuid.uuid4()), "customer": alice, "new_email": "new@example.com"}
    real_send = EmailBackend.send_messages
    second: list = []

    def send_while_a_duplicate_runs(self, messages):
        if not second:
            with django_capture_on_commit_callbacks(execute=True):
                second.append(email_change_send(**args))
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_while_a_duplicate_runs)
    with django_capture_on_commit_callbacks(execute=True):
        email_change_send(**args)
    assert second == [None]
    assert len(mail.outbox) == 1
    change = EmailChange.objects.get()
    assert change.sent_at is not None and change.send_claimed_until is None


def test_an_email_change_retried_after_the_hour_gets_a_fresh_hour(
    alice, settings, django_capture_on_commit_callbacks, clock
):
    from magiclinks.email_changes import email_change_send
    from magiclinks.models import EmailChange

    args = {"request_id": str(uuid.uuid4()), "customer": alice, "new_email": "new@example.com"}
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    with pytest.raises(ConnectionRefusedError), django_capture_on_commit_callbacks(execute=True):
        email_change_send(**args)
    assert EmailChange.objects.get().send_claimed_until is None  # given back
    clock.advance(hours=3)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email_change_send(**args)
    change = EmailChange.objects.get()
    assert change.sent_at is not None
    assert change.expires_at >= timezone.now() + timedelta(minutes=59)
