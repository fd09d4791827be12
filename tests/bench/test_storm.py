"""The renewal-day harness (bench/storm): its Stripe fake answers the hub's
own adapter with the shapes it reads and Stripe's 429, it runs the workers
docker-compose.yml declares, its check catches a lost or doubled payment or
email, and the whole storm runs end to end (services). Timings are never
judged here."""

import asyncio
import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from bench.storm.compose import worker_commands
from bench.storm.processor import STATS, make_app
from bench.storm.report import check
from bench.storm.world import World, failing, object_id
from tests.conftest import ROOT, database_url, require


@contextmanager
def fake(world: World, *, read_rate: float = 100):
    """The fake on a free loopback port, in a thread, for the test's length.
    Its loop is set up, run and closed in that thread: the test's own thread
    may have a loop running already (Playwright's, when a browser test ran
    before in the same process)."""
    from aiohttp import web

    app = make_app(world=world, latency=0, read_rate=read_rate, write_rate=read_rate)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    ready = threading.Event()
    ports: list[int] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        ports.append(runner.addresses[0][1])
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(timeout=30), "the fake did not start"
    try:
        yield f"http://127.0.0.1:{ports[0]}", app[STATS]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def _adapter(settings, base: str):
    from billing.processors.adapters.stripe import StripeAdapter

    settings.STRIPE_API_BASE = base
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return StripeAdapter("sk_test_storm")


def test_the_fake_answers_the_hubs_adapter_as_stripe_would_after_a_renewal(settings):
    world = World(renewals=60)
    declined = next(i for i in range(60) if failing(i))
    with fake(world) as (base, stats):
        adapter = _adapter(settings, base)
        paid = adapter.invoice_get(invoice_id=object_id("in", 0))
        assert (paid.status, paid.subscription_id) == ("paid", object_id("sub", 0))
        assert paid.charge_id == object_id("ch", 0) and str(paid.amount_paid) == "19.00"
        charge = adapter.charge_get(charge_id=paid.charge_id)
        assert charge.invoice_id == paid.id and charge.card.last4 == "4242"
        subscription = adapter.subscription_get(subscription_id=paid.subscription_id)
        assert (subscription.status, subscription.product) == ("active", "Pro plan")
        assert subscription.customer_id == object_id("cus", 0)

        failed = adapter.invoice_get(invoice_id=object_id("in", declined))
        assert failed.status == "open" and failed.charge_id == object_id("ch", declined)
        charge = adapter.charge_get(charge_id=failed.charge_id)
        assert (charge.status, charge.failure_message) == ("failed", "Your card was declined.")
        assert adapter.subscription_get(subscription_id=failed.subscription_id).status == "past_due"

        from billing.processors.adapters.base import ProcessorError

        with pytest.raises(ProcessorError) as missing:
            adapter.invoice_get(invoice_id=object_id("in", 60))
        assert missing.value.code == "not_found"
    counted = stats.as_dict()["endpoints"]
    assert counted["GET /v1/invoices/{id}"] == 3
    assert counted["GET /v1/invoice_payments"] == 2  # a charge's invoice, since API 2025-03-31


def test_the_fake_refuses_reads_beyond_the_accounts_limit_with_stripes_429(settings):
    import urllib.error
    import urllib.request

    with fake(World(renewals=10), read_rate=3) as (base, stats):
        adapter = _adapter(settings, base)
        for _ in range(3):
            adapter.customer_get(customer_id=object_id("cus", 1))
        from billing.processors.adapters.base import ProcessorError

        with pytest.raises(ProcessorError) as limited:
            adapter.customer_get(customer_id=object_id("cus", 1))
        assert limited.value.retryable
        request = urllib.request.Request(
            f"{base}/v1/customers/{object_id('cus', 1)}",
            headers={"Authorization": "Bearer sk_test_storm"},
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback)
        assert answer.value.code == 429
        assert answer.value.headers["Retry-After"] == "1"
        assert json.loads(answer.value.read())["error"]["code"] == "rate_limit"
        # Another account has a limit of its own.
        request.add_header("Authorization", "Bearer sk_test_another_account")
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            assert json.loads(response.read())["id"] == object_id("cus", 1)
    counts = stats.as_dict()
    assert counts["limited"] == 2 and counts["calls"] == 6 and counts["accounts"] == 2


def test_the_paypal_side_verifies_deliveries_and_answers_the_hubs_adapter(settings):
    from bench.storm import paypal
    from billing.processors.adapters.paypal import PayPalAdapter

    world = World(renewals=60)
    declined = next(i for i in range(60) if failing(i))
    with fake(world) as (base, stats):
        settings.PAYPAL_API_BASE = base
        adapter = PayPalAdapter(paypal.CLIENT_ID, paypal.CLIENT_SECRET, sandbox=True)
        ((kind, resource_type, resource),) = paypal.events(world, 0)
        body = paypal.event_body("WH-1", kind, resource_type, resource)
        headers = paypal.signed_headers("WH-1", body, 0)
        assert adapter.webhook_verify(webhook_id=paypal.WEBHOOK_ID, headers=headers, body=body)
        tampered = body.replace(b"19.00", b"1.00")
        assert not adapter.webhook_verify(
            webhook_id=paypal.WEBHOOK_ID, headers=headers, body=tampered
        )
        subscription = adapter.subscription_get(subscription_id=paypal.subscription_id(0))
        assert (subscription.status, subscription.product) == ("active", "Pro plan")
        assert adapter.payer_get(subscription_id=paypal.subscription_id(0)).email == (
            "renewal-0@storm.example"
        )
        rows = adapter.subscription_transactions(
            subscription_id=paypal.subscription_id(declined),
            start=datetime(2020, 1, 1, tzinfo=UTC),
            end=datetime(2100, 1, 1, tzinfo=UTC),
        )
        assert [(r["id"], r["status"]) for r in rows] == [(paypal.sale_id(declined), "DECLINED")]
        assert (
            adapter.subscription_get(subscription_id=paypal.subscription_id(declined)).status
            == "past_due"
        )
    counted = stats.as_dict()["endpoints"]
    assert counted["POST /v1/notifications/verify-webhook-signature"] == 2
    assert counted["GET /v1/billing/subscriptions/{id}"] == 3


def test_the_storm_runs_the_workers_docker_compose_declares_under_its_own_names():
    workers = worker_commands(ROOT / "docker-compose.yml", queues={"webhooks": "storm-wh"})
    compose = (ROOT / "docker-compose.yml").read_text()
    assert compose.count('"worker"') == len(workers) >= 3
    webhooks = next(cmd for cmd, _ in workers.values() if "storm-wh" in cmd)
    assert webhooks[:4] == ["celery", "-A", "hub", "worker"]
    names = [cmd[cmd.index("-n") + 1] for cmd, _ in workers.values()]
    assert len(set(names)) == len(names) and all(n.startswith("storm-") for n in names)
    assert any(env.get("PDF_WARM_UP") == "1" for _, env in workers.values())


def _result(**changes) -> dict:
    result = {
        "expected": {"paid": 97, "failed": 3, "events": 500, "mail": 100},
        "settings": {"timeout_s": 600},
        "processing": {"complete": True},
        "endpoint": {"gave_up": 0},
        "mail": {"messages": 100, "recipients_twice": []},
        "database": {
            "events": {"received": 500, "distinct": 500, "failed": 0, "pending": 0},
            "payments": {
                "total": 100, "paid": 97, "failed": 3, "references": 100, "renewals": 100,
                "receipts": 97, "notices": 3,
            },
            "invoices": {"total": 97, "payments": 97},
            "subscriptions": {"active": 97, "past_due": 3, "renewed": 100},
        },
    }  # fmt: skip
    for path, value in changes.items():
        node = result
        *parents, last = path.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    return result


def test_the_check_passes_a_storm_where_everything_happened_once():
    assert check(_result()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"database__payments__total": 101, "database__payments__paid": 98}, "paid payments"),
        ({"database__payments__references": 99}, "payments doubled"),
        ({"database__invoices__total": 98}, "invoices"),
        ({"mail__messages": 99}, "emails received"),
        ({"mail__recipients_twice": ["renewal-7@storm.example"]}, "two emails"),
        ({"database__events__received": 499, "database__events__distinct": 499}, "events"),
        ({"database__subscriptions__past_due": 0}, "subscriptions differ"),
        ({"processing__complete": False}, "not finished"),
    ],
)
def test_the_check_names_what_was_lost_or_doubled(change, problem):
    problems = check(_result(**change))
    assert any(problem in p for p in problems), problems


@pytest.mark.services
def test_a_small_storm_end_to_end_loses_nothing_and_does_nothing_twice(
    postgres, redis_url, tmp_path
):
    """Real gunicorn, the Celery workers, Redis and PostgreSQL: 50 renewals."""
    require(connection.vendor == "postgresql", "PostgreSQL")
    # A database of its own beside this run's test database.
    storm_database = database_url() + "_storm"
    out = tmp_path / "storm.json"
    env = {
        **os.environ,
        "BENCH_STORM_DATABASE_URL": storm_database,
        "BENCH_STORM_REDIS_URL": redis_url,
    }
    finished = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.storm.run", "--smoke", "--timeout", "90", "--json", out],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    result = json.loads(Path(out).read_text())
    assert result["problems"] == []
    assert result["processing"]["complete"]
    want = result["expected"]
    assert want["paid"] + want["failed"] == 50 and want["failed"] > 0
    payments = result["database"]["payments"]
    assert (payments["paid"], payments["failed"]) == (want["paid"], want["failed"])
    assert result["mail"]["messages"] == 50 and result["mail"]["recipients_twice"] == []
    # Duplicates were delivered, and stored once.
    assert (
        result["endpoint"]["requests"] > want["events"] == result["database"]["events"]["received"]
    )
    assert result["processor"]["reads"] > 0 and result["endpoint"]["p99_ms"] > 0
