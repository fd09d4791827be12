"""How links are made and kept (issue 3, point 3): hashes only, one use
under concurrency, idempotent tasks."""

import hashlib
import threading
import uuid

from django.core import mail
from django.db import connection
from django.test import Client

from billing.models import AuditEvent
from magiclinks.models import AccessLink
from magiclinks.services import access_link_send, profile_link_send
from magiclinks.tasks import access_link_send_task
from magiclinks.tokens import code_hash, secret_hash

from .fixtures import code_of, last_email_to, link_path, request_access


def test_only_hashes_of_the_token_and_code_are_stored(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    message = last_email_to("alice@example.com")
    token = link_path(message).rstrip("/").rsplit("/", 1)[1]
    code = code_of(message)
    binding = client.cookies["hub_access"].value
    assert len(token) >= 43  # 256 bits, URL-safe base64
    link = AccessLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.binding_hash == hashlib.sha256(binding.encode()).hexdigest()
    assert link.code_hash == code_hash(token_hash=link.token_hash, code=code)
    # The code's hash is keyed: it is not a plain hash of the 6 digits.
    assert link.code_hash != hashlib.sha256(code.encode()).hexdigest()
    row = str(AccessLink.objects.filter(pk=link.pk).values().get())
    assert token not in row and binding not in row
    assert f"'{code}'" not in row
    assert token not in str(list(AuditEvent.objects.values()))
    assert (link.expires_at - link.created_at).total_seconds() == 3600


def test_the_task_is_safe_to_run_twice(vendor, alice):
    request_id = str(uuid.uuid4())
    args = (request_id, vendor.pk, "alice@example.com", secret_hash("b"), "127.0.0.1")
    access_link_send_task.delay(*args)
    access_link_send_task.delay(*args)
    assert len(mail.outbox) == 1
    assert AccessLink.objects.count() == 1
    assert AuditEvent.objects.filter(action="access.requested").count() == 1


def test_a_failed_send_is_sent_again_with_new_secrets_by_the_rerun(vendor, alice, settings):
    # The link is committed before the email and mailed after the commit: a
    # failed send leaves it unsent, and the task's rerun re-keys and sends it.
    request_id = str(uuid.uuid4())
    args = {"request_id": request_id, "vendor": vendor, "email": "alice@example.com"}
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    try:
        access_link_send(**args, binding_hash="", ip=None)
    except OSError:
        pass
    else:
        raise AssertionError("the send should have failed")
    failed = AccessLink.objects.get()
    assert failed.sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    access_link_send(**args, binding_hash="", ip=None)
    link = AccessLink.objects.get()
    assert link.sent_at is not None
    assert link.token_hash != failed.token_hash
    assert AuditEvent.objects.filter(action="access.requested").count() == 1
    assert Client().post(link_path(last_email_to("alice@example.com")))["Location"] == (
        vendor.hub_path
    )
    # And a third run sends nothing.
    access_link_send(**args, binding_hash="", ip=None)
    assert len(mail.outbox) == 1


def test_the_profile_link_task_is_safe_to_run_twice(alice):
    request_id = str(uuid.uuid4())
    profile_link_send(request_id=request_id, customer=alice)
    profile_link_send(request_id=request_id, customer=alice)
    assert len(mail.outbox) == 1


def test_a_profile_link_leaves_the_customers_pending_link_valid(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    own = link_path(last_email_to("alice@example.com"))
    profile_link_send(request_id=str(uuid.uuid4()), customer=alice)
    assert client.get(own)["Location"] == vendor.hub_path


def test_pressing_send_profile_link_twice_keeps_the_first_email_working(alice):
    profile_link_send(request_id=str(uuid.uuid4()), customer=alice)
    first = link_path(last_email_to("alice@example.com"))
    profile_link_send(request_id=str(uuid.uuid4()), customer=alice)
    second = link_path(last_email_to("alice@example.com"))
    assert Client().post(first)["Location"] == alice.vendor.hub_path
    assert Client().post(second)["Location"] == f"{alice.vendor.hub_path}?link=invalid"


def test_two_concurrent_redemptions_give_exactly_one_session(
    postgres, transactional_db, vendor, alice
):
    access_link_send(
        request_id=str(uuid.uuid4()),
        vendor=vendor,
        email="alice@example.com",
        binding_hash="",
        ip=None,
    )
    path = link_path(last_email_to("alice@example.com"))
    start = threading.Barrier(2)
    results: list = []

    def redeem():
        browser = Client()
        try:
            start.wait(timeout=10)
            response = browser.post(path)
            customer = getattr(browser.get(vendor.hub_path).wsgi_request, "customer", None)
            results.append((response["Location"], customer))
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(location for location, _ in results) == [
        vendor.hub_path,
        f"{vendor.hub_path}?link=invalid",
    ]
    assert [customer for _, customer in results if customer] == [alice]
    assert AuditEvent.objects.filter(action="access.redeemed").count() == 1
