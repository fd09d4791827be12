"""The webhooks queue as production runs it: one real worker on a thread
pool (`--pool=threads`, Django's connection pool), a backlog of renewals'
events (each renewal's five, and copies of some) waiting for it. Every
renewal ends with one payment, one invoice number and one receipt; no event
needs a second attempt (before issue 26 two events of one new invoice in two
processes both created its payment, and one failed with an IntegrityError
to be retried 30 s later); the processor is read at most twice a renewal."""

import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from billing.models import Customer, Invoice, Payment, WebhookEvent
from billing.processors.adapters import stripe_adapter_for
from tests.conftest import ROOT, database_url, require
from tests.support.celery_conf import celery_conf_set
from tests.support.processor_fixtures import stripe_subscription
from tests.support.throttling_proxy import ThrottlingProxy

from .test_webhook_reads import receive, renewal_events

RENEWALS = 4
THREADS = 8


@pytest.fixture
def hooked_vendor(stripe_vendor):
    from tests.support.webhooks import SECRET

    stripe_vendor.stripe_webhook_secret = SECRET
    stripe_vendor.save()
    return stripe_vendor


@pytest.fixture
def threaded_worker(redis_url, transactional_db, tmp_path, localstripe):
    """Starts (when called) a `celery worker --pool=threads` on the webhooks
    and mail queues, whose Stripe requests go through a counting front of
    localstripe; the app sends tasks to the broker meanwhile."""
    require(connection.vendor == "postgresql", "PostgreSQL (the worker shares the database)")
    from hub.celery import app

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    name = f"threads-{os.getpid()}@%h"
    workers: list[subprocess.Popen] = []
    with ThrottlingProxy(localstripe, path_prefix="/", refusals=0, retry_after="1") as proxy:

        def start() -> None:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": database_url(),
                "DATABASE_POOL": "true",
                "DATABASE_POOL_MAX": str(THREADS + 2),
                "HUB_TEST_MAIL_DIR": str(mail_dir),
                "STRIPE_API_BASE": proxy.url,
                "HUB_TEST_EAGER": "0",  # receipts go through Redis, as in production
            }
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "hub",
                        "worker",
                        "--pool=threads",
                        f"--concurrency={THREADS}",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "--loglevel=WARNING",
                        "-Q",
                        f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CELERY_WEBHOOKS_QUEUE}",
                        "-n",
                        name,
                    ],
                    cwd=ROOT,
                    env=env,
                )  # fmt: skip
            )

        celery_conf_set(app, task_always_eager=False)
        try:
            yield type("Worker", (), {"start": start, "proxy": proxy, "mail_dir": mail_dir})
        finally:
            celery_conf_set(app, task_always_eager=True)
            for worker in workers:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(timeout=10)


def mails(directory) -> int:
    """Messages the file backend wrote: one file per SMTP connection, and a
    batch of receipts shares one (billing.documents.receipts)."""
    return sum(
        len(re.findall(r"^Message-ID: ", path.read_text(errors="replace"), re.MULTILINE))
        for path in directory.iterdir()
    )


def test_a_backlog_of_renewals_on_a_thread_pool_is_processed_once_in_two_reads_each(
    client, hooked_vendor, threaded_worker
):
    adapter = stripe_adapter_for(vendor=hooked_vendor)
    renewals = []
    for number in range(RENEWALS):
        customer = Customer.objects.create(vendor=hooked_vendor, email=f"r{number}@example.com")
        subscription = stripe_subscription(customer)
        renewals.append(renewal_events(adapter, subscription))
    # Stripe sends a renewal's events together, and some twice.
    for events in renewals:
        for kind, obj in events:
            event_id = receive(client, kind, obj)
            if kind in ("invoice.paid", "customer.subscription.updated"):
                receive(client, kind, obj, event_id=event_id)  # a redelivery
                receive(client, kind, obj)  # another event about the same object

    threaded_worker.start()
    deadline = time.monotonic() + 90
    waiting = WebhookEvent.objects.filter(outcome__in=["pending", "retrying"])
    while waiting.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    receipts_deadline = time.monotonic() + 30
    while mails(threaded_worker.mail_dir) < RENEWALS and time.monotonic() < receipts_deadline:
        time.sleep(0.3)

    events = WebhookEvent.objects.all()
    assert not waiting.exists(), list(waiting.values_list("event_type", "error"))
    assert set(events.values_list("outcome", flat=True)) == {"processed", "ignored"}
    assert set(events.values_list("attempts", flat=True)) == {1}  # no retry, no IntegrityError
    for number in range(RENEWALS):
        assert Payment.objects.filter(customer__email=f"r{number}@example.com").count() == 1
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == list(
        range(1, RENEWALS + 1)
    )
    assert mails(threaded_worker.mail_dir) == RENEWALS
    reads = [c for c in threaded_worker.proxy.seen if c["method"] == "GET"]
    assert len(reads) <= 2 * RENEWALS, [c["path"] for c in reads]
