"""The embedded demo as `make demo` runs it, in processes of its own, for the
tests that put it under load: a migrated and seeded SQLite file, a private
localstripe that delivers webhooks to it, and `runserver` (threads, tasks in
process). `demo_site()` yields the site's address, its environment and alex,
the demo customer signed in (a session cookie and his subscription)."""

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.subprocesses import ROOT, clean_env

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


@dataclass
class DemoSite:
    url: str
    env: dict
    log: Path
    alex: dict

    def manage(self, *args: str, timeout: float = 180) -> str:
        return manage(self.env, *args, timeout=timeout)

    def shell(self, code: str) -> dict:
        """Run `code` in `manage.py shell`; its last printed line, as JSON."""
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def browser(self) -> requests.Session:
        """An HTTP session signed in as alex."""
        session = requests.Session()
        session.cookies.set("sessionid", self.alex["session"])
        return session


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


@contextlib.contextmanager
def demo_site(tmp_path: Path, localstripe: str):
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = clean_env(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        SITE_URL=site,
        STRIPE_API_BASE=localstripe,
        STRIPE_JS_URL=f"{localstripe}/js.stripe.com/v3/",
        MEDIA_ROOT=str(tmp_path / "media"),
        DEV_MAIL_DIR=str(tmp_path / "mail"),
    )
    env.pop("PAYPAL_API_BASE", None)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    alex = json.loads(manage(env, "shell", "-c", SIGNED_IN).strip().splitlines()[-1])
    requests.post(
        f"{localstripe}/_config/webhooks/hub-demo",
        data={"url": f"{site}/webhooks/stripe/demo/", "secret": "whsec_demo_demo"},
        timeout=5,
    ).raise_for_status()

    log_path = tmp_path / "server.log"
    log = log_path.open("w")
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
        yield DemoSite(url=site, env=env, log=log_path, alex=alex)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def paid_renewals(localstripe: str, alex: dict, count: int) -> None:
    """localstripe issues and pays `count` renewals of alex's subscription and
    sends their events (invoice, payment intent, charge) about a second later,
    all at once."""
    requests.post(
        f"{localstripe}/_test/paid_invoices",
        data={"customer": alex["customer_id"], "subscription": alex["processor_id"],
              "count": count},
        auth=("sk_test_demo", ""),
        timeout=30,
    ).raise_for_status()  # fmt: skip
