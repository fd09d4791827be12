"""Shared fixtures: named personas across two vendors, a signed-in client,
Chromium through Playwright, localstripe and a real Celery worker.

Tests that need a service (PostgreSQL, Redis, Chromium) skip without it, and
fail instead when REQUIRE_SERVICES=1 (as in CI).
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory

from magiclinks.sessions import customer_login
from tests.support.celery_conf import celery_conf_set

from .factories import CustomerFactory, UserFactory, VendorFactory, VendorMembershipFactory
from .support.catalogs import extracted  # noqa: F401 (fixture)
from .support.clock import frozen_clock  # noqa: F401 (fixture)
from .support.processor_fixtures import (  # noqa: F401 (fixtures)
    paypal_api,
    paypal_vendor,
    setup_intents_created,
    stripe_api,
    stripe_vendor,
)

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made by test bodies beside it are safe (one thread, no concurrency).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parent.parent


def require(available: bool, what: str) -> None:
    """Skip when a service is missing, or fail when CI asked for services."""
    if available:
        return
    message = f"{what} is not available"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the default language. A hub request activates its
    vendor's language for the thread (vendors.languages) and, as in Django,
    the next request activates its own; in tests the next thing may be no
    request at all, and would read German left by a test of a German vendor."""
    from django.utils import translation

    yield
    translation.deactivate()


# --- services ---------------------------------------------------------------


@pytest.fixture
def postgres(db):
    require(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL=postgres://...)")


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    require(redis_available(), "Redis (set REDIS_URL=redis://...)")
    return settings.REDIS_URL


def database_url() -> str:
    """The URL of the database this test run uses (the test database)."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(redis_url, transactional_db, tmp_path):
    """A real `celery -A hub worker` subprocess on this run's queues (the
    default one and the PDF one), reading the
    test database and writing mail to files; the app sends to the broker
    instead of running tasks eagerly for the length of the test."""
    require(connection.vendor == "postgresql", "PostgreSQL (the worker shares the database)")
    from hub.celery import app

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "DATABASE_POOL": "false",
        "HUB_TEST_MAIL_DIR": str(mail_dir),
    }
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "hub", "worker",
            "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=WARNING",
            "-Q",
            f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CELERY_PDF_QUEUE},"
            f"{settings.CELERY_WEBHOOKS_QUEUE}",
            "-n", f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    celery_conf_set(app, task_always_eager=False)
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(
            timeout=0.5, destination=[f"test-{os.getpid()}@{os.uname().nodename}"]
        ):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the Celery worker did not start", pytrace=False)
        yield type("Worker", (), {"process": worker, "mail_dir": mail_dir})
    finally:
        celery_conf_set(app, task_always_eager=True)
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # A worker stuck in a task must not outlive the run (it would
            # hold the test database open and keep the queue).
            worker.kill()
            worker.wait(timeout=10)


# --- localstripe --------------------------------------------------------------


def local_server(args: list[str], *, ready_path: str, what: str):
    """Start a test-support server (`python -m ...`, which prints its port
    first), wait until `ready_path` answers, yield its base URL, stop it."""
    import urllib.request

    process = subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    port = process.stdout.readline().strip()
    if not port:
        process.kill()
        pytest.fail(f"{what} did not start", pytrace=False)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            urllib.request.urlopen(base + ready_path, timeout=1).read(16)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{what} did not answer", pytrace=False)
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def localstripe():
    """A private localstripe on 127.0.0.1 for the whole run: its base URL."""
    yield from local_server(
        ["tests.support.localstripe_server"], ready_path="/js.stripe.com/v3/", what="localstripe"
    )


# --- browser -------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require(Path(CHROMIUM).exists() or bool(shutil.which(CHROMIUM)), f"Chromium ({CHROMIUM})")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# --- counting -----------------------------------------------------------------


@pytest.fixture
def renders(monkeypatch):
    """The invoices rendered to PDF during the test. This wraps the real
    renderer (WeasyPrint still runs): it counts, it does not mock."""
    from billing.documents import pdf as billing_pdf

    calls: list[int] = []
    real = billing_pdf.pdf_render

    def counting(*, invoice):
        calls.append(invoice.pk)
        return real(invoice=invoice)

    monkeypatch.setattr(billing_pdf, "pdf_render", counting)
    return calls


# --- personas ------------------------------------------------------------------


@pytest.fixture
def vendor(db):
    """Northwind: the vendor most tests act at; self-cancellation on."""
    return VendorFactory(
        slug="northwind",
        name="Northwind Courses",
        self_cancel=True,
        support_email="help@nw.example",
    )


@pytest.fixture
def other_vendor(db):
    """Acme: another tenant, whose data Northwind's customers must never see."""
    return VendorFactory(slug="acme", name="Acme Software", default_currency="EUR", locale="de")


@pytest.fixture
def alice(vendor):
    return CustomerFactory(vendor=vendor, email="alice@example.com", name="Alice Adams")


@pytest.fixture
def bob(vendor):
    """Another customer of the same vendor."""
    return CustomerFactory(vendor=vendor, email="bob@example.com", name="Bob Brown")


@pytest.fixture
def acme_alice(other_vendor):
    """The same email at the other vendor: a different customer altogether."""
    return CustomerFactory(vendor=other_vendor, email="alice@example.com", name="Alice at Acme")


@pytest.fixture
def northwind_staff(vendor):
    """A staff user who owns Northwind, and only Northwind, in the admin."""
    user = UserFactory(username="nina")
    VendorMembershipFactory(user=user, vendor=vendor)
    return user


@pytest.fixture
def northwind_support(vendor):
    """Northwind's support person: customers and history, no keys or settings."""
    user = UserFactory(username="sam")
    VendorMembershipFactory(user=user, vendor=vendor, role="support")
    return user


@pytest.fixture
def acme_staff(other_vendor):
    """The owner of Acme: nobody at Northwind."""
    user = UserFactory(username="oscar")
    VendorMembershipFactory(user=user, vendor=other_vendor, role="owner")
    return user


@pytest.fixture
def staff_client(client, northwind_staff):
    client.force_login(northwind_staff)
    return client


def sign_in(client, customer) -> None:
    """Sign `customer` in on the Django test client, as a redeemed link would."""
    request = RequestFactory().get("/")
    request.session = client.session
    customer_login(request, customer=customer)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key


@pytest.fixture
def alice_client(client, alice):
    sign_in(client, alice)
    return client


# --- fake PayPal ----------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_paypal():
    """Our fake PayPal (tests/support/fake_paypal.py) on 127.0.0.1 for the
    whole run: its base URL. Tests reset it with `fake_paypal_clean`. Seeded
    as for the demo (one subscription, I-DEMOBLAIR0001, which a reset keeps),
    so that seed_demo can be tested against it."""
    yield from local_server(
        ["tests.support.fake_paypal", "--port", "0", "--seed", "demo"],
        ready_path="/myaccount/autopay/",
        what="the fake PayPal",
    )


@pytest.fixture
def fake_paypal_clean(fake_paypal):
    """The fake PayPal as it started: no calls, no pending failures, only
    the seeded demo subscription."""
    import urllib.request

    request = urllib.request.Request(fake_paypal + "/_fake/reset", method="POST", data=b"")
    urllib.request.urlopen(request, timeout=5).read()
    return fake_paypal
