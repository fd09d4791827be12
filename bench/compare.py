"""Two benchmark runs side by side: each page's throughput in the second
run as a share of the first, the median over the pages and the pages that
moved most.

    .venv/bin/python -m bench.compare bench/results/A.json bench/results/B.json

Issue 23 compares a run with translation off (`--language off`) with runs
in English and German on the same code and dataset: "the page costs do not
grow by more than 10 %" means no page below 0.91 beyond the noise that two
runs of the same code show.
"""

import json
import statistics
import sys


def load(path: str) -> dict[str, dict]:
    with open(path) as handle:
        return {row["page"]: row for row in json.load(handle)["pages"]}


def compare(first: dict[str, dict], second: dict[str, dict]) -> list[tuple[float, str]]:
    """(second's req/s ÷ first's, page) for every page both measured, lowest first."""
    shares = [
        (second[page]["rps"] / row["rps"], page)
        for page, row in first.items()
        if page != "/healthz" and row.get("rps") and second.get(page, {}).get("rps")
    ]
    return sorted(shares)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    shares = compare(load(argv[0]), load(argv[1]))
    values = [share for share, _ in shares]
    print(
        f"{len(shares)} pages: median {statistics.median(values):.3f}, mean "
        f"{statistics.mean(values):.3f}, lowest {values[0]:.3f}, highest {values[-1]:.3f}"
    )
    print("lowest:")
    for share, page in shares[:5]:
        print(f"  {share:.3f}  {page}")
    print("highest:")
    for share, page in shares[-3:]:
        print(f"  {share:.3f}  {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
