"""The embedded demo's SQLite under the demo's own concurrency (issue 21,
point 2): the development server's threads, tasks run in them, and
localstripe delivering a burst of webhooks while a customer cancels.

Everything runs as `make demo` runs it, in processes of its own: a private
localstripe, a migrated and seeded SQLite file, `runserver`. Before WAL, a
busy timeout and IMMEDIATE transactions, the burst printed `database is
locked` tracebacks and left events unprocessed.
"""

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import requests

from tests.conftest import local_server
from tests.support.subprocesses import ROOT, clean_env

pytestmark = pytest.mark.services

# Renewals localstripe issues and pays at once: each is a burst of events
# (invoice, payment intent, charge) the hub records and sends receipts for.
RENEWALS = 6


@pytest.fixture
def private_localstripe():
    """A localstripe of this test's own: its webhook registrations (which
    outlive a reset) reach no other test's server."""
    yield from local_server(
        ["tests.support.localstripe_server"], ready_path="/js.stripe.com/v3/", what="localstripe"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, timeout: float = 180) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


SIGNED_IN = """
from importlib import import_module
import json
from django.conf import settings
from django.test import RequestFactory
from billing.models import Subscription
from magiclinks.sessions import customer_login
sub = Subscription.objects.get(vendor__slug="demo", customer__email="alex@example.com")
request = RequestFactory().get("/")
request.session = import_module(settings.SESSION_ENGINE).SessionStore()
customer_login(request, customer=sub.customer)
request.session.save()
print(json.dumps({"session": request.session.session_key, "subscription": sub.pk,
                  "processor_id": sub.processor_id,
                  "customer_id": sub.customer.stripe_customer_id}))
"""

OUTCOMES = """
import json
from billing.models import Subscription, WebhookEvent
sub = Subscription.objects.get(vendor__slug="demo", customer__email="alex@example.com")
print(json.dumps({"outcomes": list(WebhookEvent.objects.values_list("outcome", flat=True)),
                  "ending": sub.cancel_at_period_end,
                  "paid": sub.payments.filter(status="paid").count()}))
"""


def test_webhooks_fired_during_a_cancellation_are_all_processed_without_a_lock(
    tmp_path, private_localstripe
):
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = clean_env(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        SITE_URL=site,
        STRIPE_API_BASE=private_localstripe,
        STRIPE_JS_URL=f"{private_localstripe}/js.stripe.com/v3/",
        MEDIA_ROOT=str(tmp_path / "media"),
        DEV_MAIL_DIR=str(tmp_path / "mail"),
    )
    env.pop("PAYPAL_API_BASE", None)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    alex = json.loads(manage(env, "shell", "-c", SIGNED_IN).strip().splitlines()[-1])
    requests.post(
        f"{private_localstripe}/_config/webhooks/hub-demo",
        data={"url": f"{site}/webhooks/stripe/demo/", "secret": "whsec_demo_demo"},
        timeout=5,
    ).raise_for_status()

    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{site}/healthz", timeout=1).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        browser = requests.Session()
        browser.cookies.set("sessionid", alex["session"])
        cancel_url = f"{site}/demo/updateinfo/subscriptions/{alex['subscription']}/cancel/"
        page = browser.get(cancel_url, timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        # localstripe sends each renewal's events about a second after it
        # is paid, all at once: the cancellation lands in the middle.
        requests.post(
            f"{private_localstripe}/_test/paid_invoices",
            data={
                "customer": alex["customer_id"],
                "subscription": alex["processor_id"],
                "count": RENEWALS,
            },
            auth=("sk_test_demo", ""),
            timeout=30,
        ).raise_for_status()
        answers: list[int] = []

        def cancel() -> None:
            response = browser.post(
                cancel_url,
                data={"csrfmiddlewaretoken": token, "reason": ""},
                headers={"Referer": cancel_url},
                allow_redirects=False,
                timeout=60,
            )
            answers.append(response.status_code)

        time.sleep(0.8)
        canceller = threading.Thread(target=cancel)
        canceller.start()
        canceller.join(90)
        assert answers == [302]

        # Every delivery answered is processed (none pending or failed).
        deadline = time.monotonic() + 60
        while True:
            state = json.loads(manage(env, "shell", "-c", OUTCOMES).strip().splitlines()[-1])
            outcomes = state["outcomes"]
            settled = outcomes and all(o in ("processed", "ignored") for o in outcomes)
            if settled and state["paid"] >= 60 + RENEWALS:
                break
            assert time.monotonic() < deadline, state
            time.sleep(1)
        assert state["ending"] is True
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    output = (tmp_path / "server.log").read_text()
    assert "database is locked" not in output, output[-5000:]
    assert "Traceback" not in output, output[-5000:]
