"""`make chaos`: the fault experiments with the production values.

Starts the lab (its own PostgreSQL, Redis, SMTP sink, gunicorn, worker and
beat, nothing shared) with the shipped timings - a 5-minute visibility
timeout, a 10-minute SMTP outage, Redis and PostgreSQL down for a minute -
runs every experiment and prints one row each. Takes about an hour; exits
non-zero if a row did not hold. `--profile short` runs the suite's version.
"""

from __future__ import annotations

import argparse
import sys
import time

from .experiments import EXPERIMENTS
from .lab import PRODUCTION, SHORT, Lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=["production", "short"], default="production")
    parser.add_argument("-k", default="", help="run only experiments whose name contains this")
    args = parser.parse_args(argv)
    profile = PRODUCTION if args.profile == "production" else SHORT
    chosen = [e for e in EXPERIMENTS if args.k in e.__name__]
    print(
        f"==> fault lab, {profile.name} values (visibility timeout {profile.visibility_timeout} s)"
    )
    lab = Lab(profile)
    results = []
    try:
        lab.start()
        print(f"    lab in {lab.dir}", flush=True)
        for experiment in chosen:
            started = time.monotonic()
            print(f"==> {experiment.__name__} ...", flush=True)
            result = experiment(lab)
            print(f"    {result.line()}  ({time.monotonic() - started:.0f} s)", flush=True)
            results.append(result)
    finally:
        lab.close()
    print()
    print(f"{'experiment':<34} {'result':<7} counts")
    for result in results:
        print(result.line())
    return 0 if results and all(result.held for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
