"""`python -m bench.storm.cpu`: our own CPU per renewal event, and where it goes.

    python -m bench.storm.cpu --renewals 200            # figures only
    python -m bench.storm.cpu --renewals 200 --profile  # and cProfile's top costs

`make bench-storm` measures the whole machine, where gunicorn, the workers,
Redis, PostgreSQL, the fake and the sender share two cores; this measures
the hub's own share in one process, so a change to it shows as CPU
milliseconds per event rather than drowning in the others' noise. The
same renewals as the storm (bench.storm.world, bench.storm.run.schedule),
against the same load fake (latency 0, no rate limit), PostgreSQL and
Redis, in three phases:

1. **endpoint**: every delivery through Django's WSGI handler with the
   production middleware (what a gunicorn worker runs per request): verify,
   store, queue on the broker.
2. **webhooks**: each stored event's task, run in this process
   (`Task.apply`), in the order received; the tasks it queues go to Redis.
3. **mail**: the queued receipts, notices and senders, drained from Redis
   and run here (the SMTP sink of the fake takes the mail).

Each phase reports the process CPU time (user + sys) per event, the
queries per event, and, with --profile, cProfile's top functions by own
time and by cumulative time (also kept in var/storm/cpu-<phase>.prof).
The fake runs in its own process: its CPU is not counted.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.run import ensure_database, free_port, production_env
from bench.storm.run import LOGS, ROOT, SHOP, http_ok, schedule, signed, wait_for
from bench.storm.world import World

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hub_bench_storm_cpu"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
QUEUES = {"default": "storm-cpu", "webhooks": "storm-cpu-webhooks", "pdf": "storm-cpu-pdf"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renewals", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile each phase")
    parser.add_argument("--top", type=int, default=25, help="functions listed per phase")
    parser.add_argument("--json", default="", help="also write the figures here")
    parser.add_argument(
        "--gunicorn",
        action="store_true",
        help="deliver through gunicorn (hub.gunicorn_conf) and count its processes' CPU",
    )
    return parser.parse_args(argv)


class Queries:
    """Counts the queries the process sends (a database execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Phase:
    """CPU time and queries of one phase, optionally under cProfile."""

    def __init__(self, name: str, *, events: int, profile: bool, queries: Queries) -> None:
        self.name = name
        self.events = events
        # CPU time, not wall time: waiting on PostgreSQL or the fake is not ours.
        self.profiler = cProfile.Profile(time.process_time) if profile else None
        self.queries = queries
        self.per_task: Counter = Counter()
        self.task_cpu: Counter = Counter()
        self.served_by: float | None = None

    def __enter__(self) -> Phase:
        self.queries_before = self.queries.count
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *exc) -> None:
        if self.profiler:
            self.profiler.disable()
        self.cpu = time.process_time() - self.cpu
        if self.served_by is not None:
            self.cpu = self.served_by  # the server's CPU, not this client's
        self.wall = time.perf_counter() - self.wall
        self.query_count = self.queries.count - self.queries_before

    def figures(self) -> dict:
        return {
            "cpu_ms_per_event": round(self.cpu * 1000 / self.events, 2),
            "queries_per_event": round(self.query_count / self.events, 2),
            "cpu_s": round(self.cpu, 3),
            "wall_s": round(self.wall, 3),
            "tasks": dict(self.per_task),
            "task_cpu_ms": {k: round(v * 1000, 1) for k, v in self.task_cpu.items()},
        }

    def report(self, top: int) -> str:
        if not self.profiler:
            return ""
        LOGS.mkdir(parents=True, exist_ok=True)
        self.profiler.dump_stats(str(LOGS / f"cpu-{self.name}.prof"))
        out = io.StringIO()
        stats = pstats.Stats(self.profiler, stream=out)
        stats.strip_dirs()
        for order in ("tottime", "cumulative"):
            out.write(f"\n--- {self.name}: top {top} by {order} ---\n")
            stats.sort_stats(order).print_stats(top)
        return out.getvalue()


def wsgi_post(handler, path: str, body: bytes, headers: dict[str, str]) -> int:
    """One POST through the WSGI handler, as gunicorn calls it; the status."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_USER_AGENT": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status = []
    response = handler(environ, lambda s, h, exc_info=None: status.append(s))
    for _ in response:
        pass
    response.close()
    return int(status[0].split()[0])


def process_tree_cpu(pid: int) -> float:
    """User + system CPU seconds of `pid` and its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        if current in stats:
            total += int(stats[current][11]) + int(stats[current][12])  # utime, stime
    return total / ticks


def gunicorn_deliver(env: dict, path: str, bodies: list, statuses: Counter) -> float:
    """POST every delivery to a gunicorn started with hub.gunicorn_conf (one
    at a time, a connection each, as Stripe's deliveries come); the CPU
    seconds its master and workers spent on them (after the warm-up)."""
    import http.client

    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "python:hub.gunicorn_conf", "hub.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}",
             "GUNICORN_ACCESS_LOG": str(LOGS / "cpu-access.log")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip

    def post(body: bytes, headers: dict[str, str]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8",
                     "X-Forwarded-Proto": "https", **headers},
        )  # fmt: skip
        status = conn.getresponse().status
        conn.close()
        return status

    try:
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), seconds=60, what="gunicorn")
        for _ in range(8):  # every worker warm: pools open, first request served
            post(bodies[0][0], {"Stripe-Signature": "t=1,v1=00"})
        before = process_tree_cpu(server.pid)
        for body, headers in bodies:
            statuses[post(body, headers)] += 1
        return process_tree_cpu(server.pid) - before
    finally:
        server.terminate()
        server.wait(timeout=30)


def broker_drain(client, queue: str) -> list[tuple[str, list, dict, bool]]:
    """The messages waiting on `queue`, taken off it: (task, args, kwargs, has_eta)."""
    messages = []
    while raw := client.rpop(queue):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        headers = message["headers"]
        messages.append((headers["task"], body[0], body[1], bool(headers.get("eta"))))
    return messages


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    database_url = os.environ.get("BENCH_STORM_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_STORM_REDIS_URL", DEFAULT_REDIS_URL)
    stripe_port, smtp_port = free_port(), free_port()
    env = production_env(database_url=database_url, redis_url=redis_url, port=8000)
    env.update(
        {
            "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "CELERY_QUEUE": QUEUES["default"],
            "CELERY_WEBHOOKS_QUEUE": QUEUES["webhooks"],
            "CELERY_PDF_QUEUE": QUEUES["pdf"],
            "CACHE_KEY_PREFIX": "storm-cpu",
            "MEDIA_ROOT": str(ROOT / "var" / "storm-cpu-media"),
            # The tasks run one after another here: nobody to wait for.
            "WEBHOOK_COALESCE_SECONDS": "0",
            # Our own limiter would pace the reads: CPU is measured, not the limit.
            "STRIPE_RATE_LIMIT_TEST": "1000000",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_database(database_url)

    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from bench.storm.run import seed
    from billing.models import WebhookEvent
    from hub.celery import app

    world = World(renewals=args.renewals)
    call_command("migrate", "--noinput", verbosity=0)
    seed(world)
    client = redis.Redis.from_url(redis_url)
    keys_clear(client)
    LOGS.mkdir(parents=True, exist_ok=True)
    fake = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.storm.processor", "--port", str(stripe_port),
         "--smtp-port", str(smtp_port), "--renewals", str(world.renewals),
         "--renewed-at", str(world.renewed_at), "--latency-ms", "0", "--rate-limit", "0",
         "--write-rate-limit", "0", "--lifetime", "1800"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    queries = Queries()
    phases: list[Phase] = []
    try:
        wait_for(
            lambda: http_ok(f"http://127.0.0.1:{stripe_port}/__stats"), seconds=20, what="fake"
        )
        handler = get_wsgi_application()
        deliveries = schedule(world, processor="stripe", duplicates=0.02, shuffled=0.05)
        created = int(time.time())
        path = f"/webhooks/stripe/{SHOP}/"
        signed_bodies = [
            signed("stripe", event_id, kind, obj, created, 0) for event_id, kind, obj in deliveries
        ]
        # Warm, as gunicorn's master is before it forks (hub.warm), and
        # one request: the first opens the pools and imports the rest.
        from hub.warm import app_warm_up

        app_warm_up()
        # A bad signature: the whole path up to the check, nothing stored.
        wsgi_post(handler, path, signed_bodies[0][0], {"Stripe-Signature": "t=1,v1=00"})
        with connection.execute_wrapper(queries):
            statuses: Counter = Counter()
            with Phase(
                "endpoint", events=len(deliveries), profile=args.profile, queries=queries
            ) as phase:
                if args.gunicorn:
                    phase.served_by = gunicorn_deliver(env, path, signed_bodies, statuses)
                else:
                    for body, headers in signed_bodies:
                        statuses[wsgi_post(handler, path, body, headers)] += 1
            phase.per_task["status"] = dict(statuses)  # type: ignore[assignment]
            phases.append(phase)
            # The published tasks are the worker's: take them off the broker
            # and run them here, loaded as a worker loads them.
            app.loader.import_default_modules()
            published = broker_drain(client, QUEUES["webhooks"])
            # Per event stored (what the processor sent, without its
            # redeliveries), whichever of them needed a task.
            events = WebhookEvent.objects.count()
            with Phase("webhooks", events=events, profile=args.profile, queries=queries) as phase:
                for name, task_args, kwargs, _ in published:
                    started = time.process_time()
                    app.tasks[name].apply(args=task_args, kwargs=kwargs)
                    phase.task_cpu[name] += time.process_time() - started
                    phase.per_task[name] += 1
            phases.append(phase)
            with Phase("mail", events=events, profile=args.profile, queries=queries) as phase:
                while messages := broker_drain(client, QUEUES["default"]):
                    # FIFO, and a task with a countdown (the receipts'
                    # sender) after the rest, as the worker would hold it.
                    for name, task_args, kwargs, _ in sorted(messages, key=lambda m: m[3]):
                        started = time.process_time()
                        app.tasks[name].apply(args=task_args, kwargs=kwargs)
                        phase.task_cpu[name] += time.process_time() - started
                        phase.per_task[name] += 1
            phases.append(phase)
        outcomes = Counter(WebhookEvent.objects.values_list("outcome", flat=True))
        stats = json.loads(
            subprocess.run(  # noqa: S603
                [sys.executable, "-c", "import sys,urllib.request;"
                 f"sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:{stripe_port}"
                 "/__stats').read().decode())"],
                capture_output=True, check=True, text=True,
            ).stdout
        )  # fmt: skip
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        keys_clear(redis.Redis.from_url(redis_url))
    result = {
        "renewals": world.renewals,
        "deliveries": len(deliveries),
        "events": events,
        "published_webhook_tasks": len(published),
        "outcomes": dict(outcomes),
        "processor_calls": stats.get("calls"),
        "mail": stats.get("mail", {}).get("messages"),
        "phases": {phase.name: phase.figures() for phase in phases},
    }
    total = sum(p.cpu for p in phases) * 1000 / events
    result["cpu_ms_per_event"] = round(total, 2)
    for phase in phases:
        print(phase.report(args.top), end="")
    print(json.dumps(result, indent=1))
    print(f"==> our CPU per event: {total:.2f} ms", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def keys_clear(client) -> None:
    """This run's queues, and its cache's keys (locks, read log, receipt
    batches, rate buckets): all under its own prefix."""
    client.delete(*QUEUES.values())
    for key in client.scan_iter(match="storm-cpu:*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    raise SystemExit(main())
