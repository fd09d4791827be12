"""Where each hub page's time goes: Django's test client under cProfile.

    python -m bench.profile_pages --scale small [--size 500] [--top 12]

Needs a loaded dataset (make bench, or python -m bench.run --generate-only).
For each page it prints the milliseconds per request in this process, split
into SQL (psycopg), template rendering and the rest (middleware, views, ORM
query building), then the functions with the most own time. The split is
what told us to stop rendering the profile form on the dashboard and to read
CSV rows as tuples.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# cumulative time of these functions = the share of that component
COMPONENTS = {
    "sql": ("psycopg/cursor.py", "execute"),
    "templates": ("django/template/base.py", "render"),
}


def _cumulative(stats: pstats.Stats, path_part: str, name: str) -> float:
    best = 0.0
    for (filename, _, func), (_, _, _, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if func == name and filename.replace("\\", "/").endswith(path_part):
            best = max(best, cumtime)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "full"])
    parser.add_argument("--size", default=None, help="history length to sign in as")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args(argv)

    from bench.run import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, pages, production_env

    os.environ.update(
        production_env(
            database_url=os.environ.get(
                "BENCH_DATABASE_URL", DEFAULT_DATABASE_URL.format(scale=args.scale)
            ),
            redis_url=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
            port=8000,
        )
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench import measure

    info = measure.dataset_info(args.scale)
    keys = measure.sessions(info)
    sizes = sorted((k for k in info["customers"] if k.isdigit()), key=int)
    size = args.size or sizes[len(sizes) // 2]
    for page in pages(info):
        if page["size"] != size:
            continue
        client = measure._client(keys[size])
        for _ in range(3):
            client.get(page["path"])
        started = time.perf_counter()
        for _ in range(args.repeat):
            client.get(page["path"])
        plain_ms = (time.perf_counter() - started) * 1000 / args.repeat
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            client.get(page["path"])
        profiler.disable()
        stats = pstats.Stats(profiler)
        total = stats.total_tt  # type: ignore[attr-defined]
        shares = {k: _cumulative(stats, *v) / total for k, v in COMPONENTS.items()}
        other = max(0.0, 1 - sum(shares.values()))
        print(
            f"\n{page['name']}: {plain_ms:.1f} ms/request"
            f" (sql {shares['sql']:.0%}, templates {shares['templates']:.0%}, other {other:.0%})"
        )
        stats.sort_stats("tottime")
        for func in stats.fcn_list[: args.top]:  # type: ignore[attr-defined]
            filename, line, name = func
            tottime = stats.stats[func][2]  # type: ignore[attr-defined]
            short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            print(f"    {tottime / args.repeat * 1000:6.2f} ms  {short}:{line}({name})")


if __name__ == "__main__":
    main()
