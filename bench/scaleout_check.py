"""Two web processes behind one address: do they share sessions and rate limits?

    python -m bench.scaleout_check --scale tiny

Starts two gunicorn instances on two loopback ports with the production
settings (hub.settings, rate limits as shipped) on a loaded dataset, then
alternates requests between them, as a load balancer would:

- a session created once is signed in on both (sessions live in Redis and
  PostgreSQL, not in a process);
- access requests from one client address, alternated between the two, are
  refused after the configured per-IP limit in total, not after twice that
  (the counters live in Redis).

Prints what it saw and exits non-zero if either is not shared.
"""

import argparse
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _status(url: str, headers: dict[str, str], data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "full"])
    args = parser.parse_args(argv)
    from bench.run import (
        DEFAULT_DATABASE_URL,
        DEFAULT_REDIS_URL,
        free_port,
        production_env,
        start_gunicorn,
        wait_up,
    )

    ports = [free_port(), free_port()]
    env = production_env(
        database_url=os.environ.get(
            "BENCH_DATABASE_URL", DEFAULT_DATABASE_URL.format(scale=args.scale)
        ),
        redis_url=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        port=ports[0],
    )
    env["DJANGO_SETTINGS_MODULE"] = "hub.settings"  # the shipped rate limits
    env["CACHE_KEY_PREFIX"] = f"scaleout-{os.getpid()}"  # fresh counters
    env["PDF_WARM_UP"] = "0"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from bench import measure
    from magiclinks import ratelimit

    info = measure.dataset_info(args.scale)
    size = next(iter(info["customers"]))
    session = measure.sessions(info)[size]
    servers = [start_gunicorn(env, port=port, workers=1) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    problems = []
    try:
        wait_up(bases)
        hub = f"/{info['vendor']}/updateinfo/"
        https = {"X-Forwarded-Proto": "https"}
        for base in bases:
            status, body = _status(base + hub, {**https, "Cookie": f"sessionid={session}"})
            signed_in = status == 200 and "Update my info" in body
            print(f"{base}: dashboard {status}, signed in: {signed_in}")
            if not signed_in:
                problems.append(f"{base} does not see the session")
        name, default = ratelimit.ACCESS_PER_IP
        limit = int(getattr(settings, name, default)[0])
        secret, token = measure.csrf_pair()
        headers = {
            **https,
            "Cookie": f"csrftoken={secret}",
            "Origin": "null",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        refused_at = None
        for n in range(1, 2 * limit + 3):
            body = f"csrfmiddlewaretoken={token}&email=someone-{n}@bench.example".encode()
            status, _ = _status(bases[n % 2] + f"{hub}access/", headers, body)
            if status == 429:
                refused_at = n
                break
        print(
            f"access requests alternated over both servers: first 429 at request {refused_at}"
            f" (per-IP limit {limit})"
        )
        if refused_at != limit + 1:
            problems.append(f"rate limit not shared: refused at {refused_at}, limit {limit}")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        measure.cleanup_queue(env["REDIS_URL"])
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
