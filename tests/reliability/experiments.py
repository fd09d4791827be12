"""The fault experiments (issue 20): each breaks one thing in a running lab
(tests/reliability/lab.py) and counts effects at the end: emails, links
that work, webhook events processed, answers by status, nothing twice.

Each returns a Result whose `held` says whether every count came out right;
the suite runs them with the SHORT profile, `make chaos` with PRODUCTION.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field

from tests.magiclinks.fixtures import LINK_RE
from tests.support.webhooks import signature, stripe_event

from .lab import VENDOR, WEBHOOK_SECRET, Lab, wait_for

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Result:
    name: str
    held: bool
    counts: dict = field(default_factory=dict)

    def line(self) -> str:
        counts = ", ".join(f"{key} {value}" for key, value in self.counts.items())
        return f"{self.name:<34} {'held' if self.held else 'FAILED':<7} {counts}"


class Browser:
    """One browser: its own cookies, no redirects followed."""

    def __init__(self, lab: Lab) -> None:
        self.base = lab.app.base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def open(self, path: str, data: dict | None = None, timeout: float = 15) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            path if path.startswith("http") else self.base + path, data=body
        )
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            return 0, str(error)


HUB = f"/{VENDOR}/updateinfo/"


def access_request(lab: Lab, address: str) -> int:
    """The access form, as a person fills it in: GET then POST. The status
    of the POST (200: "check your email"), or of the GET if that failed."""
    browser = Browser(lab)
    status, page = browser.open(HUB)
    token = CSRF_RE.search(page)
    if status != 200 or token is None:
        return status
    status, _ = browser.open(f"{HUB}access/", {"email": address, "csrfmiddlewaretoken": token[1]})
    return status


def link_works(lab: Lab, url: str) -> bool:
    """Another device opens the link: a working one shows the Continue page
    (200); a used, expired or unknown one redirects to the form (303). A 503
    (a service still coming back) consumes nothing: the person tries again."""
    for _ in range(10):
        status, _ = Browser(lab).open(url)
        if status != 503:
            return status == 200
        time.sleep(1)
    return False


def mails_to(lab: Lab, addresses: set[str]) -> list[tuple[str, str]]:
    """(recipient, link) of every email the sink got for `addresses`."""
    found = []
    with lab.smtp.lock:
        messages = list(lab.smtp.messages)
    for message in messages:
        to = str(message["To"])
        if to in addresses:
            part = message.get_body(preferencelist=("plain",))
            match = LINK_RE.search(part.get_content() if part else "")
            found.append((to, lab.app.base + match[1] if match else ""))
    return found


def _addresses(tag: str, count: int, start: int) -> list[str]:
    # Seeded customers are c0..c199@example.com; each experiment takes its own.
    return [f"c{start + n}@example.com" for n in range(count)]


def _mail_counts(lab: Lab, addresses: list[str], *, settle: float, quiet: float) -> dict:
    """Wait until every address got an email, then `quiet` seconds more for
    any second copy; count emails and working links."""
    wanted = set(addresses)
    with contextlib.suppress(TimeoutError):
        wait_for(
            lambda: {to for to, _ in mails_to(lab, wanted)} >= wanted,
            timeout=settle,
            interval=1,
            what="emails",
        )
    time.sleep(quiet)
    mails = mails_to(lab, wanted)
    per_address = Counter(to for to, _ in mails)
    working = sum(1 for _, link in mails if link and link_works(lab, link))
    return {
        "asked": len(addresses),
        "emails": len(mails),
        "twice": sum(1 for count in per_address.values() if count > 1),
        "links working": working,
    }


def _mail_held(counts: dict) -> bool:
    return (
        counts["emails"] == counts["asked"]
        and counts["twice"] == 0
        and counts["links working"] == counts["asked"]
    )


# --- the experiments ---------------------------------------------------------------------


def smtp_down_longer_than_the_visibility_timeout(lab: Lab) -> Result:
    """SMTP refuses connections for longer than the visibility timeout while
    customers ask for links: each gets one email, and its link works."""
    profile = lab.profile
    addresses = _addresses("smtp", profile.requests, 0)
    lab.smtp.stop()
    try:
        statuses = Counter(access_request(lab, address) for address in addresses)
        time.sleep(profile.smtp_outage)
    finally:
        lab.smtp.start()
    counts = _mail_counts(
        lab, addresses, settle=profile.settle, quiet=profile.visibility_timeout * 1.5
    )
    counts["answered 200"] = statuses[200]
    return Result(
        "SMTP down > visibility timeout",
        _mail_held(counts) and statuses[200] == len(addresses),
        counts,
    )


def worker_killed_holding_a_task(lab: Lab) -> Result:
    """The worker is SIGKILLed in the middle of sending: the task comes back
    after the visibility timeout and sends once."""
    profile = lab.profile
    addresses = _addresses("kill", 1, 20)
    lab.smtp.hang = True
    try:
        status = access_request(lab, addresses[0])
        time.sleep(3)  # the worker takes the task and hangs in SMTP
        lab.app.kill_worker()
        time.sleep(1)
    finally:
        lab.smtp.hang = False
    counts = _mail_counts(
        lab,
        addresses,
        settle=profile.settle + profile.visibility_timeout,
        quiet=profile.visibility_timeout,
    )
    counts["worker restarts"] = lab.app.worker_restarts
    return Result("worker SIGKILL with a task held", _mail_held(counts) and status == 200, counts)


def _webhook(lab: Lab, event_id: str) -> int:
    # A live-mode event at a test-mode vendor: stored, then "ignored" by the
    # task without a call to Stripe; processed all the same.
    payload = stripe_event(
        "customer.updated",
        {"id": "cus_lab", "object": "customer"},
        event_id=event_id,
        livemode=True,
    )
    status, _, _ = lab.app.post(
        f"/webhooks/stripe/{VENDOR}/",
        payload,
        content_type="application/json",
        **{"Stripe-Signature": signature(payload, WEBHOOK_SECRET)},
    )
    return status


def _events(lab: Lab, event_ids: list[str]) -> Counter:
    quoted = ",".join(f"'{event_id}'" for event_id in event_ids)
    rows = lab.pg.psql(
        f"SELECT outcome, count(*) FROM billing_webhookevent WHERE event_id IN ({quoted}) "
        "GROUP BY outcome"
    )
    return Counter({line.split("|")[0]: int(line.split("|")[1]) for line in rows.splitlines()})


def redis_down_during_webhooks_and_access_requests(lab: Lab) -> Result:
    """Redis stops while webhooks arrive and customers ask for links, and a
    task is held by the worker: no 500, webhooks answered 503 are processed
    once Redis is back (half redelivered by the "processor", half left to
    the sweep), the held task's email goes out once, the worker lives on."""
    profile = lab.profile
    run = uuid.uuid4().hex[:8]
    events = [f"evt_redis_{run}_{n}" for n in range(profile.requests)]
    held_address = _addresses("redis", 1, 40)
    lab.smtp.hang = True
    held_status = access_request(lab, held_address[0])
    time.sleep(2)  # the worker holds the mail task
    lab.redis.stop()
    lab.smtp.hang = False
    try:
        webhook_statuses = Counter()
        answers = {}
        for event_id in events:
            answers[event_id] = _webhook(lab, event_id)
            webhook_statuses[answers[event_id]] += 1
        access_statuses = Counter(
            access_request(lab, address) for address in _addresses("redis", 3, 45)
        )
        time.sleep(profile.redis_outage)
    finally:
        lab.redis.start()
    # The processor redelivers what was not acknowledged; every other one
    # of those is left to the sweep.
    for n, event_id in enumerate(events):
        if answers[event_id] != 200 and n % 2 == 0:
            _webhook(lab, event_id)
    done = {"processed", "ignored"}
    with contextlib.suppress(TimeoutError):
        wait_for(
            lambda: sum(_events(lab, events)[o] for o in done) == len(events),
            timeout=profile.settle + profile.webhook_sweep_after,
            interval=1,
            what="webhook events",
        )
    outcomes = _events(lab, events)
    mail = _mail_counts(lab, held_address, settle=profile.settle, quiet=profile.visibility_timeout)
    counts = {
        "webhooks": len(events),
        "answered 503": webhook_statuses[503],
        "answered 500": webhook_statuses[500] + access_statuses[500],
        "access 503": access_statuses[503],
        "processed": sum(outcomes[o] for o in done),
        "held task emails": mail["emails"],
        "worker deaths": len(lab.app.worker_deaths),
    }
    held = (
        counts["answered 500"] == 0
        and counts["processed"] == len(events)
        and held_status == 200
        and _mail_held(mail)
    )
    return Result("Redis down (webhooks, access, held task)", held, counts)


def postgres_down(lab: Lab) -> Result:
    """PostgreSQL stops: pages and the access form answer 503 with
    Retry-After (never 500); access emails whose task met the outage are
    retried and sent once it is back."""
    profile = lab.profile
    addresses = _addresses("pg", profile.requests, 60)
    vendor_id = int(lab.pg.psql(f"SELECT id FROM vendors_vendor WHERE slug = '{VENDOR}'"))
    lab.pg.stop()
    try:
        # Queued straight to the broker (the web cannot while the database
        # is down): the worker's tasks meet the outage.
        lab.app.python(
            "import uuid\nfrom magiclinks.tasks import access_link_send_task as task\n"
            + "".join(
                f"task.delay(str(uuid.uuid4()), {vendor_id}, {address!r}, '', None)\n"
                for address in addresses
            )
        )
        statuses = Counter()
        retry_after = 0
        for _ in range(3):
            for path in (HUB, f"{HUB}purchases/"):
                status, _, headers = lab.app.get(path, timeout=15)
                statuses[status] += 1
                retry_after += bool(headers.get("Retry-After"))
        statuses_access = Counter(access_request(lab, "c99@example.com") for _ in range(2))
        time.sleep(profile.postgres_outage)
    finally:
        lab.pg.start()
    # Back means every web process answers again (each pool reconnects on
    # its own): ten pages in a row.
    wait_for(
        lambda: all(lab.app.get(HUB)[0] == 200 for _ in range(10)),
        timeout=120,
        interval=1,
        what="the hub after the outage",
    )
    mail = _mail_counts(lab, addresses, settle=profile.settle, quiet=profile.visibility_timeout)
    pages = sum(statuses.values())
    counts = {
        "pages": pages,
        "answered 503": statuses[503] + statuses_access[503],
        "answered 500": statuses[500] + statuses_access[500],
        "with Retry-After": retry_after,
        **{f"mail {key}": value for key, value in mail.items()},
    }
    held = statuses[503] == pages and retry_after == pages and statuses_access[500] == 0
    return Result("PostgreSQL down", held and _mail_held(mail), counts)


def table_locked(lab: Lab) -> Result:
    """A table is locked (a stuck transaction): pages answer 503 within the
    lock timeout, and /healthz stays fast beside them."""
    import psycopg

    locker = psycopg.connect(lab.pg.url)
    locker.execute("LOCK TABLE vendors_vendor IN ACCESS EXCLUSIVE MODE")
    pages: list[tuple[int, float]] = []
    health: list[float] = []
    stop = threading.Event()

    def page() -> None:
        started = time.monotonic()
        status, _, _ = lab.app.get(HUB, timeout=60)
        pages.append((status, time.monotonic() - started))

    def probe() -> None:
        while not stop.is_set():
            started = time.monotonic()
            status, _, _ = lab.app.get("/healthz", timeout=10)
            health.append(time.monotonic() - started if status == 200 else 99.0)
            time.sleep(0.1)

    try:
        prober = threading.Thread(target=probe)
        prober.start()
        workers = [threading.Thread(target=page) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        stop.set()
        prober.join()
    finally:
        locker.rollback()
        locker.close()
    slowest = max(seconds for _, seconds in pages)
    counts = {
        "pages": len(pages),
        "answered 503": sum(1 for status, _ in pages if status == 503),
        "slowest page s": round(slowest, 1),
        "healthz max s": round(max(health), 2),
    }
    held = (
        counts["answered 503"] == len(pages)
        and slowest < lab.profile.locked_page_limit
        and max(health) < lab.profile.healthz_limit
    )
    return Result("table locked", held, counts)


def _under_traffic(lab: Lab, name: str, action) -> Result:
    """Three clients (/healthz and a hub page twice) request in a loop with
    the profile's client timeout (2 s in production, as a load balancer's)
    while `action` runs: none may fail."""
    failures = Counter()
    latencies: list[float] = []
    # (when, ok) of each request: the failures before the action are the
    # machine's own (a loaded CI box), a control for those after it.
    timeline: list[tuple[float, bool]] = []
    stop = threading.Event()

    def client(path: str) -> None:
        while not stop.is_set():
            started = time.monotonic()
            # 0: refused, reset or no answer within the client's patience
            status, _, _ = lab.app.get(path, timeout=lab.profile.client_timeout)
            latencies.append(time.monotonic() - started)
            timeline.append((started, status == 200))
            if status != 200:
                failures[status] += 1

    threads = [threading.Thread(target=client, args=(p,)) for p in ("/healthz", HUB, HUB)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        acted_at = time.monotonic()
        action()
        time.sleep(6)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    counts = {
        "requests": len(latencies),
        "failed": sum(failures.values()),
        "failed before": sum(1 for at, ok in timeline if at < acted_at and not ok),
        "slowest s": round(max(latencies), 2),
    }
    held = counts["failed"] == 0 and max(latencies) < lab.profile.client_timeout
    return Result(name, held, counts)


def reload_under_traffic(lab: Lab) -> Result:
    """`kill -HUP` on gunicorn while requests keep coming: the master forks
    new workers from the preloaded, warmed app (hub.warm) and none fails."""
    import signal

    assert lab.app.web is not None
    web = lab.app.web
    return _under_traffic(lab, "reload (HUP) under traffic", lambda: web.send_signal(signal.SIGHUP))


def deploy_under_traffic(lab: Lab) -> Result:
    """A deploy as the README describes it (USR2: a new master on the new
    code beside the old one; TERM to the old master once the new one has
    its workers) while requests keep coming: none fails. Runs last: the
    lab's web server is the new master from then on."""
    return _under_traffic(lab, "deploy (USR2, TERM) under traffic", lab.app.deploy_web)


EXPERIMENTS = [
    smtp_down_longer_than_the_visibility_timeout,
    worker_killed_holding_a_task,
    redis_down_during_webhooks_and_access_requests,
    postgres_down,
    table_locked,
    reload_under_traffic,
    deploy_under_traffic,
]
