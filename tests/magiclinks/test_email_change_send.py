"""The email-change confirmation is mailed after its row commits (issue 12,
point 9): a rollback never mails a link to a change that does not exist,
and a retry after a mail failure resends without a second change."""

import threading
import time
import uuid

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client

from magiclinks.email_changes import email_change_send
from magiclinks.models import EmailChange

from .test_email_change import confirm_path


class Rollback(Exception):
    pass


def test_a_rolled_back_change_mails_nothing(alice, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture, pytest.raises(Rollback), transaction.atomic():
        email_change_send(
            request_id=str(uuid.uuid4()), customer=alice, new_email="alice.new@example.com"
        )
        raise Rollback
    assert not EmailChange.objects.exists()
    assert mail.outbox == []


def test_the_link_is_mailed_only_once_the_change_is_committed(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        change = email_change_send(
            request_id=str(uuid.uuid4()), customer=alice, new_email="alice.new@example.com"
        )
    assert change is not None and change.sent_at is None
    assert mail.outbox == []  # nothing went out inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()
    change.refresh_from_db()
    assert change.sent_at is not None
    assert [m.to for m in mail.outbox] == [["alice.new@example.com"]]


def test_a_failed_send_is_resent_by_the_retry_without_a_second_change(
    alice, settings, django_capture_on_commit_callbacks
):
    args = {"request_id": str(uuid.uuid4()), "customer": alice, "new_email": "new@example.com"}
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    capture = django_capture_on_commit_callbacks(execute=True)
    with pytest.raises(ConnectionRefusedError), capture:
        email_change_send(**args)
    failed = EmailChange.objects.get()
    assert failed.sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email_change_send(**args)
    change = EmailChange.objects.get()
    assert change.sent_at is not None and change.revoked_at is None
    assert change.token_hash != failed.token_hash
    # The resent link is the one that works.
    with django_capture_on_commit_callbacks(execute=True):
        done = Client().post(confirm_path("new@example.com"))
    assert "Your email is changed" in done.text
    alice.refresh_from_db()
    assert alice.email == "new@example.com"
    # A third run (the task delivered once more) sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert email_change_send(**args) is None
    assert [m.to for m in mail.outbox] == [["new@example.com"], ["alice@example.com"]]


def test_of_two_requests_at_once_only_the_later_stays_confirmable(
    postgres, transactional_db, alice
):
    # The first request's transaction is held open after its change is
    # written; the second runs meanwhile. Without a lock it revokes nothing
    # it can see, and both changes stay pending.
    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first():
        try:
            with transaction.atomic():
                email_change_send(request_id=str(uuid.uuid4()), customer=alice, new_email="a@x.com")
                written.set()
                release.wait(timeout=20)
        except BaseException as error:  # reported by the test body
            errors.append(error)
            written.set()
        finally:
            connection.close()

    def second():
        try:
            email_change_send(request_id=str(uuid.uuid4()), customer=alice, new_email="b@x.com")
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert written.wait(timeout=20)
    two = threading.Thread(target=second)
    two.start()
    # Let the second run until it is done or waits for the first's lock.
    deadline = time.monotonic() + 20
    while two.is_alive() and not waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    one.join(timeout=20)
    two.join(timeout=20)
    assert errors == []
    pending = EmailChange.objects.filter(used_at__isnull=True, revoked_at__isnull=True)
    assert [c.new_email for c in pending] == ["b@x.com"]


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
