"""`make bench`: generate the dataset, serve it with gunicorn, measure every hub page.

    python -m bench.run --scale small            # dataset + measurements
    python -m bench.run --scale full --reuse     # keep the dataset already loaded
    python -m bench.run --scale tiny --smoke     # CI: fail on breakage or growing query counts

One run measures /healthz first and then each page as a signed-in customer
of each history length, with wrk (or the built-in Python load generator when
wrk is absent) at --connections connections for --duration seconds. Every
figure that matters is a ratio to /healthz in the same run: absolute
timings on a shared 2-core machine drift from run to run. Query counts are
measured in this process with Django's test client against the same
database, and peak memory of the CSV download and of a first PDF render in
fresh processes (bench.probe).

Results: a table on stdout, bench/results/<date>-<scale>.json and, with
matplotlib installed (the `bench` extra), a PNG chart beside it.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# One database per scale, so a quick tiny run never replaces the full dataset.
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hub_bench_{scale}"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
SORTS = ["-date", "date", "-price", "price", "order", "-order", "status", "-status"]


def production_env(*, database_url: str, redis_url: str, port: int) -> dict[str, str]:
    """The environment production runs with; only the values are local."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0b1c2d3e4f5a6b7c",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SITE_URL": f"https://127.0.0.1:{port}",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "EMAIL_URL": "dummymail://",
            # Production refuses to start without keys for the secrets at rest.
            "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1rZXktMDEyMzQ1Njc4OTA=",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            # Behind a TLS-terminating proxy: the load generator says https.
            "SECURE_PROXY_SSL_HEADER": "true",
            "CELERY_QUEUE": "bench",
            "CACHE_KEY_PREFIX": "bench",
            "HUB_SESSION_IDLE": str(24 * 3600),
            "MEDIA_ROOT": str(ROOT / "var" / "bench-media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the pages --------------------------------------------------------------------


def pages(info: dict) -> list[dict]:
    """Every page the run measures: name, path, the customer size it signs in as."""
    hub = f"/{info['vendor']}/updateinfo/"
    found = []
    for size, data in info["customers"].items():
        if data.get("only") == "subscriptions":
            found.append(
                {"name": f"subscriptions [{size}]", "path": f"{hub}subscriptions/", "size": size}
            )
            continue
        per_page = 25
        last = max(1, -(-data["payments"] // per_page))
        found.append({"name": f"dashboard [{size}]", "path": hub, "size": size})
        for sort in SORTS:
            if last == 1:  # one page: first is last
                found.append(
                    {
                        "name": f"purchases {sort} p1 [{size}]",
                        "size": size,
                        "path": f"{hub}purchases/?sort={sort}&page=1",
                    }
                )
                continue
            found.append(
                {
                    "name": f"purchases {sort} p1 [{size}]",
                    "size": size,
                    "path": f"{hub}purchases/?sort={sort}&page=1",
                }
            )
            found.append(
                {
                    "name": f"purchases {sort} p{last} [{size}]",
                    "size": size,
                    "last": True,
                    "path": f"{hub}purchases/?sort={sort}&page={last}",
                }
            )
        found.append(
            {"name": f"subscriptions [{size}]", "path": f"{hub}subscriptions/", "size": size}
        )
        if data.get("invoice"):
            found.append(
                {
                    "name": f"invoice [{size}]",
                    "size": size,
                    "path": f"{hub}invoices/{data['invoice']}/",
                }
            )
    return found


# --- load generation ------------------------------------------------------------------


def wrk_available() -> str | None:
    return shutil.which("wrk")


def _wrk(
    url: str,
    *,
    headers: dict[str, str],
    duration: float,
    connections: int,
    script: str | None = None,
) -> dict:
    seconds = max(1, round(duration))  # wrk counts whole seconds
    cmd = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50_ms": _ms(latency.get("50", "0ms")),
        "p99_ms": _ms(latency.get("99", "0ms")),
        "requests": total,
        "bad": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _python_load(
    url: str,
    *,
    headers: dict[str, str],
    duration: float,
    connections: int,
    body: bytes | None = None,
) -> dict:
    """A small closed-loop load generator (threads, one connection each),
    used when wrk is not installed. It saturates less than wrk does, which is
    why the report compares pages to /healthz measured the same way."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    bad = [0]
    stop = time.perf_counter() + duration
    lock = threading.Lock()

    def worker() -> None:
        mine, mine_bad = [], 0
        while time.perf_counter() < stop:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            started = time.perf_counter()
            try:
                conn.request("POST" if body else "GET", target, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    mine_bad += 1
            except OSError:
                mine_bad += 1
            finally:
                conn.close()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)
            bad[0] += mine_bad

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0  # noqa: E731
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": round(pick(0.5), 2),
        "p99_ms": round(pick(0.99), 2),
        "requests": len(latencies),
        "bad": bad[0],
        "socket_errors": "",
    }


def load(
    url: str,
    *,
    headers: dict[str, str],
    duration: float,
    connections: int,
    post: dict | None = None,
) -> dict:
    if wrk_available():
        script = None
        if post:
            script = str(RESULTS.parent / "var-post.lua")
            Path(script).write_text(
                'wrk.method = "POST"\n'
                f"wrk.body = {json.dumps(post['body'])}\n"
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            )
        try:
            return _wrk(
                url, headers=headers, duration=duration, connections=connections, script=script
            )
        finally:
            if script:
                Path(script).unlink(missing_ok=True)
    body = post["body"].encode() if post else None
    if post:
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    return _python_load(url, headers=headers, duration=duration, connections=connections, body=body)


def timed_get(url: str, headers: dict[str, str]) -> tuple[float, int, int]:
    """One GET, sequential: milliseconds, status, body bytes."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback http)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
            size = 0
            while chunk := response.read(65536):
                size += len(chunk)
            status = response.status
    except urllib.error.HTTPError as error:
        status, size = error.code, 0
    return (time.perf_counter() - started) * 1000, status, size


def smoke_request(url: str, headers: dict[str, str], post: dict | None) -> dict:
    data = None
    if post:
        data = post["body"].encode()
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    ms = (time.perf_counter() - started) * 1000
    return {
        "rps": round(1000 / ms, 1),
        "p50_ms": round(ms, 2),
        "p99_ms": round(ms, 2),
        "requests": 1,
        "bad": int(status >= 400),
        "socket_errors": "",
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


# --- the run ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", default=os.environ.get("SCALE", "small"), choices=["tiny", "small", "full"]
    )
    parser.add_argument("--reuse", action="store_true", help="keep the loaded dataset")
    parser.add_argument("--duration", type=float, default=None, help="seconds per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="gunicorn instances on as many ports, alternated page by page (scale-out check)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: fail on errors or query counts that grow with history",
    )
    parser.add_argument(
        "--base-url",
        action="append",
        default=[],
        help="measure running servers (several: alternate between them)",
    )
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument(
        "--language",
        default="en",
        help="the bench vendor's language for the run (en, de, fr, es), or 'off' for"
        " USE_I18N=False: the cost of translation, measured on the same code (issue 23)",
    )
    parser.add_argument("--generate-only", action="store_true", help="load the dataset and stop")
    args = parser.parse_args(argv)
    duration = args.duration or {"tiny": 1.0, "small": 3.0, "full": 3.0}[args.scale]

    database_url = os.environ.get(
        "BENCH_DATABASE_URL", DEFAULT_DATABASE_URL.format(scale=args.scale)
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    port = int(os.environ.get("BENCH_PORT", 0)) or free_port()
    env = production_env(database_url=database_url, redis_url=redis_url, port=port)
    if args.language == "off":
        env["BENCH_I18N"] = "0"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command

    print(f"==> Customer Hub benchmark, scale {args.scale}", flush=True)
    loadavg_at_start = list(os.getloadavg())
    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    from bench import dataset, measure

    if not args.reuse or not measure.dataset_present():
        print("==> Generating the dataset (COPY)", flush=True)
        generated = dataset.generate(args.scale, log=lambda m: print(m, flush=True))
    else:
        generated = {"reused": True}
    if args.generate_only:
        return 0
    info = measure.dataset_info(args.scale)
    info["language"] = measure.set_language(args.language)
    info["generated"] = generated
    sessions = measure.sessions(info)

    print("==> Query counts (Django test client, same database)", flush=True)
    # Counted with the per-process vendor cache off: the worst case, a
    # request just after the vendor's row expired, and the same count
    # whatever the clock does between the warm-up and the counted request.
    from django.conf import settings

    settings.HUB_VENDOR_CACHE_SECONDS = 0
    page_list = pages(info)
    queries = measure.query_counts(page_list, sessions)
    queries.update(measure.extra_query_counts(info, sessions))
    dashboard = next(p for p in page_list if p["name"].startswith("dashboard"))
    served = measure.language_served(dashboard, sessions)
    if served != info["language"].replace("off", "en"):
        raise SystemExit(f"the pages are in {served!r}, not {info['language']!r}")

    print("==> Memory and first render in fresh processes", flush=True)
    probes = measure.probes(info, smoke=args.smoke)
    probes["access_in_process"] = measure.access_medians(info, rounds=20 if args.smoke else 200)

    servers: list[subprocess.Popen] = []
    base_urls = args.base_url
    if not base_urls:
        ports = [port] + [free_port() for _ in range(args.servers - 1)]
        for each in ports:
            servers.append(start_gunicorn(env, port=each, workers=args.workers))
        base_urls = [f"http://127.0.0.1:{each}" for each in ports]
    results: list[dict] = []
    try:
        wait_up(base_urls)
        results = drive(
            base_urls,
            info,
            sessions,
            page_list,
            queries,
            duration=duration,
            connections=args.connections,
            smoke=args.smoke,
        )
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        measure.cleanup_queue(redis_url)

    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "machine": {
            "cpus": os.cpu_count(),
            "load_tool": "wrk" if wrk_available() else "python",
            "connections": args.connections,
            "duration_s": duration,
            "gunicorn_workers": args.workers,
            "servers": base_urls,
            "loadavg_at_start": loadavg_at_start,
            "loadavg_at_end": list(os.getloadavg()),
            "note": "shared 2-core machine: other work ran concurrently (see loadavg)",
        },
        "dataset": {k: v for k, v in info.items() if k != "generated"} | {"generated": generated},
        "pages": results,
        "probes": probes,
    }
    print_table(report)
    problems = check(report, smoke=args.smoke)
    if not args.smoke:
        RESULTS.mkdir(parents=True, exist_ok=True)
        suffix = "" if args.language == "en" else f"-{args.language}"
        stem = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{args.scale}{suffix}"
        stem.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nwrote {stem.with_suffix('.json').relative_to(ROOT)}")
        if not args.no_chart:
            chart(report, stem.with_suffix(".png"))
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def start_gunicorn(env: dict[str, str], *, port: int, workers: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "hub.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--config",
        "python:hub.gunicorn_conf",
        # The figures so far were taken with sync workers: keep measuring
        # those, whatever the production worker class.
        "--worker-class",
        "sync",
        # gunicorn turns a sync worker into gthread when threads > 1 (the
        # production config sets 4): one thread keeps the worker sync.
        "--threads",
        "1",
        "--access-logfile",
        "/dev/null",
    ]
    print(f"==> gunicorn on 127.0.0.1:{port}, {workers} sync workers", flush=True)
    return subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603


def wait_up(base_urls: list[str]) -> None:
    for base in base_urls:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"{base} did not come up")


def sequential(url: str, headers: dict[str, str], *, seconds: float) -> dict:
    """A whole download at a time, one after the other, for `seconds` (at
    least one request, at most 200)."""
    times, bad, nbytes = [], 0, 0
    stop = time.perf_counter() + (max(seconds, 1) if seconds else 0)
    while time.perf_counter() < stop or not times:
        ms, status, nbytes = timed_get(url, headers)
        times.append(ms)
        bad += status != 200
        if len(times) >= 200:
            break
    return {
        "requests": len(times),
        "p50_ms": percentile(times, 0.5),
        "p99_ms": percentile(times, 0.99),
        "rps": round(1000 / (sum(times) / len(times)), 2),
        "bad": bad,
        "bytes": nbytes,
    }


def drive(base_urls, info, sessions, page_list, queries, *, duration, connections, smoke):
    """Measure /healthz, then every page; one row each."""
    from bench import measure

    https = {"X-Forwarded-Proto": "https"}
    turn = [0]

    def base() -> str:  # alternate between servers, one page each
        turn[0] += 1
        return base_urls[turn[0] % len(base_urls)]

    rows = []

    def run(name, path, headers, *, size=None, post=None, q=None, last=False):
        if smoke:
            # CI: one request through gunicorn proves the page works; timings
            # are noise there and never fail the build.
            figures = smoke_request(base() + path, headers, post)
        else:
            # One short warm-up pass so the first measured request is not a
            # worker's first use of a template or a pooled connection.
            load(base() + path, headers=headers, duration=1, connections=2, post=post)
            figures = load(
                base() + path,
                headers=headers,
                duration=duration,
                connections=connections,
                post=post,
            )
        row = {"page": name, "path": path, "size": size, "last_page": last, **figures, "queries": q}
        row["healthz_sample"] = len(health_samples) - 1
        rows.append(row)
        print(
            f"  {name:<40} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.2f} ms"
            f"  p99 {figures['p99_ms']:7.2f} ms  queries {q}",
            flush=True,
        )
        return row

    # /healthz is measured first and again every few pages: on a shared
    # machine the load from other work changes within a run, so each page is
    # compared with the /healthz samples taken just before and after it.
    health_samples: list[float] = []

    def health() -> None:
        health_samples.append(0.0)
        health_samples[-1] = run("/healthz", "/healthz", https)["rps"]

    print("==> Load", flush=True)
    health()
    for number, page in enumerate(page_list, start=1):
        if number % 6 == 0:
            health()
        headers = {**https, "Cookie": f"sessionid={sessions[page['size']]}"}
        run(
            page["name"],
            page["path"],
            headers,
            size=page["size"],
            q=queries.get(page["name"]),
            last=page.get("last", False),
        )

    hub = f"/{info['vendor']}/updateinfo/"
    # The access request, for a customer's email and for an unknown one.
    csrf = measure.csrf_pair()
    # Measured in the order known, unknown, unknown, known and averaged per
    # label, so a machine that gets busier during the run favours neither.
    emails = {"known": info["known_email"], "unknown": "nobody@bench.example"}
    headers = {
        **https,
        "Cookie": f"csrftoken={csrf[0]}",
        "Origin": "null",
        "Sec-Fetch-Site": "same-origin",
    }
    halves: dict[str, list[dict]] = {"known": [], "unknown": []}
    for label in ("known", "unknown", "unknown", "known"):
        body = f"csrfmiddlewaretoken={csrf[1]}&email={emails[label]}"
        name = f"access request ({label})"
        halves[label].append(
            run(name, f"{hub}access/", headers, post={"body": body}, q=queries.get(name))
        )
        rows.remove(halves[label][-1])
    for pair in halves.values():
        merged = dict(pair[0])
        for key in ("rps", "p50_ms", "p99_ms"):
            merged[key] = round(sum(r[key] for r in pair) / len(pair), 2)
        merged["requests"] = sum(r["requests"] for r in pair)
        merged["bad"] = sum(r["bad"] for r in pair)
        merged["p50_ms_runs"] = [r["p50_ms"] for r in pair]
        rows.append(merged)

    # A stored PDF, served from storage.
    for size, data in info["customers"].items():
        if not data.get("invoice"):
            continue
        headers = {**https, "Cookie": f"sessionid={sessions[size]}"}
        path = f"{hub}invoices/{data['invoice']}/pdf"
        timed_get(base_urls[0] + path, headers)  # render and store it once
        run(f"stored PDF [{size}]", path, headers, size=size, q=queries.get(f"stored PDF [{size}]"))
        break

    # First renders: invoices with no stored PDF, each fetched once.
    first = []
    size, invoices = measure.unrendered_invoices(info, count=2 if smoke else 20)
    headers = {**https, "Cookie": f"sessionid={sessions[size]}"}
    for number in invoices:
        ms, status, _ = timed_get(base() + f"{hub}invoices/{number}/pdf", headers)
        first.append(ms)
        if status != 200:
            rows.append({"page": "first PDF render", "bad": 1, "rps": 0})
    rows.append(
        {
            "page": "first PDF render (sequential)",
            "size": size,
            "requests": len(first),
            "p50_ms": percentile(first, 0.5),
            "p99_ms": percentile(first, 0.99),
            "rps": round(1000 / (sum(first) / len(first)), 1) if first else 0,
            "bad": 0,
            "queries": queries.get("first PDF render"),
        }
    )

    # CSV downloads and the print view (every row on one page): sequential,
    # the whole history each time. The print view's rows are built in Python
    # (hub/templatetags/purchase_rows.py) for what this measures at 50,000.
    for kind, path in (("CSV download", "purchases.csv"), ("print view", "purchases/print/")):
        for size, data in info["customers"].items():
            if kind == "print view" and data.get("only"):
                continue
            headers = {**https, "Cookie": f"sessionid={sessions[size]}"}
            row = sequential(base() + f"{hub}{path}", headers, seconds=0 if smoke else duration)
            row.update(page=f"{kind} [{size}]", size=size, queries=queries.get(f"{kind} [{size}]"))
            rows.append(row)
    health()
    for row in rows:
        i = row.pop("healthz_sample", len(health_samples) - 1)
        nearby = (
            health_samples[i : i + 2] if row["page"] != "/healthz" else health_samples[i : i + 1]
        )
        reference = sum(nearby) / len(nearby) if nearby else 0
        row["healthz_rps"] = round(reference, 1)
        row["ratio"] = round(row["rps"] / reference, 4) if reference else 0
    return rows


# --- reporting -----------------------------------------------------------------------


def print_table(report: dict) -> None:
    print()
    print(f"{'page':<42} {'req/s':>9} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} {'SQL':>4}")
    for row in report["pages"]:
        print(
            f"{row['page']:<42} {row.get('rps', 0):9.1f} {row.get('ratio', 0):7.3f}"
            f" {row.get('p50_ms', 0):8.2f} {row.get('p99_ms', 0):8.2f}"
            f" {row.get('queries') if row.get('queries') is not None else '-':>4}"
        )
    probes = report["probes"]
    print()
    for name, probe in probes.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in probe.items()))


def check(report: dict, *, smoke: bool) -> list[str]:
    """Breakage and query counts that grow with history; never timings."""
    problems = []
    for row in report["pages"]:
        if row.get("bad"):
            problems.append(f"{row['page']}: {row['bad']} failed responses")
        if row.get("requests") == 0:
            problems.append(f"{row['page']}: no request completed")
    by_kind: dict[str, set] = {}
    for row in report["pages"]:
        if row.get("queries") is None or row.get("size") is None:
            continue
        kind = re.sub(r" \[\d+(-failing)?\]$", "", row["page"])
        kind = re.sub(r" p\d+$", " last" if row.get("last_page") else " p1", kind)
        by_kind.setdefault(kind, set()).add(row["queries"])
    for kind, counts in sorted(by_kind.items()):
        if len(counts) > 1:
            problems.append(
                f"{kind}: the query count changes with history length: {sorted(counts)}"
            )
    return problems


def chart(report: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no chart: install the bench extra, pip install -e '.[bench]')")
        return
    rows = [r for r in report["pages"] if r["page"] != "/healthz"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, max(6, len(rows) * 0.18)), sharey=True)
    names = [r["page"] for r in rows]
    left.barh(names, [r.get("ratio", 0) for r in rows], color="#1f5fbf")
    left.axvline(0.10, color="#c0392b", linestyle="--", linewidth=1, label="target 0.10")
    left.set_xlabel("throughput / /healthz throughput")
    left.legend(loc="lower right")
    right.barh(names, [r.get("p99_ms", 0) for r in rows], color="#7f8c8d", label="p99")
    right.barh(names, [r.get("p50_ms", 0) for r in rows], color="#2c3e50", label="p50")
    right.axvline(50, color="#c0392b", linestyle="--", linewidth=1, label="p99 target 50 ms")
    right.set_xscale("log")
    right.set_xlabel("latency, ms (log)")
    right.legend(loc="lower right")
    left.invert_yaxis()
    left.tick_params(axis="y", labelsize=6)
    fig.suptitle(f"Customer Hub, scale {report['scale']}, {report['date']}")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main())
