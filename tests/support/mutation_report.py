"""Write docs/testing/mutation.md from mutmut's results in mutants/ (make
mutation runs this after `mutmut run`).

Per module: mutants killed, survived, equivalent (survivors that behave
exactly like the original, listed with a reason in
docs/testing/mutation-equivalents.txt) and not run, and the score: killed
out of the non-equivalent mutants that ran. Each remaining survivor is listed
with the line it changes, so the next person knows which test is missing.

A run of some modules only (`make mutation MUTANTS='billing.cards*'`)
leaves the others unmeasured in mutants/: their rows and sections are kept
from the report as it was, so the report combines rounds.

Usage: python -m tests.support.mutation_report [--out PATH]
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENTS = ROOT / "docs" / "testing" / "mutation-equivalents.txt"
NOTES = ROOT / "docs" / "testing" / "mutation-notes.md"  # appended as written
KILLED_BY_HAND = ROOT / "docs" / "testing" / "mutation-killed-by-hand.txt"
OUT = ROOT / "docs" / "testing" / "mutation.md"
# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded into ours.
KILLED = {1, 3, 24, 36, 37, 152, 255, -24}  # failed, errored, timed out, type error
SURVIVED = {0}
NO_TESTS = {5, 33}


def equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """`<mutant name> <reason>` lines of `path`, by name."""
    found: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                found[name] = reason.strip()
    return found


def changed_line(name: str, path: Path) -> str:
    """The mutant's changed line, as `-old` / `+new`, from mutmut's own diff."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        diff = get_diff_for_mutant(name, path=path)
    except Exception as error:  # noqa: BLE001 - a report line, not a crash
        return f"(no diff: {error})"
    lines = [
        line.strip()
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return " / ".join(lines)[:220]


def previous_report(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The table row and the section of each module in the report at `path`."""
    rows: dict[str, str] = {}
    sections: dict[str, str] = {}
    if not path.exists():
        return rows, sections
    current = ""
    for line in path.read_text().splitlines():
        if line.startswith("| `"):
            rows[line.split("`")[1]] = line
        if line.startswith("## "):
            current = line.split("`")[1] if line.startswith("## `") else ""
            if current:
                sections[current] = ""
        if current:
            sections[current] += line + "\n"
    # Each section ends with its last line's newline and the blank line
    # that opens the next one.
    return rows, {module: text[:-1].removesuffix("\n") for module, text in sections.items()}


def module_rows(modules: list[str], known: dict[str, str], elsewhere: dict[str, str]):
    for module in modules:
        meta = ROOT / "mutants" / f"{module}.meta"
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        if not any(code is not None for code in codes.values()):
            yield module, None, [], [], []  # not measured in this run
            continue
        counts: Counter = Counter()
        survivors, equivalent, killed_elsewhere = [], [], []
        for name, code in sorted(codes.items(), key=lambda kv: _natural(kv[0])):
            if code in KILLED:
                counts["killed"] += 1
            elif code in SURVIVED and name in elsewhere:
                counts["killed"] += 1
                killed_elsewhere.append((name, elsewhere[name]))
            elif code in SURVIVED and name in known:
                counts["equivalent"] += 1
                equivalent.append((name, known[name]))
            elif code in SURVIVED or code in NO_TESTS:
                counts["survived"] += 1
                survivors.append((name, changed_line(name, Path(module))))
            else:
                counts["not run"] += 1
        yield module, counts, survivors, equivalent, killed_elsewhere


def _natural(name: str):
    stem, _, number = name.rpartition("_")
    return (stem, int(number) if number.isdigit() else 0)


def score(counts: Counter) -> str:
    ran = counts["killed"] + counts["survived"]
    return f"{100 * counts['killed'] / ran:.0f}%" if ran else "n/a"


def render(modules: list[str], previous: Path = OUT) -> str:
    known = equivalents()
    kept_rows, kept_sections = previous_report(previous)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    rows = list(module_rows(modules, known, equivalents(KILLED_BY_HAND)))
    out = [
        "# Mutation testing",
        "",
        "Written by `make mutation` (mutmut 3, one mutant at a time, each run against",
        "the tests that call the mutated function, SQLite, `nice -n 15`). Killed includes",
        "timeouts; *equivalent* survivors behave exactly like the original (reasons",
        "below and in `mutation-equivalents.txt`); the score is killed out of the",
        "non-equivalent mutants that ran. Not run: not reached before the run stopped.",
        "",
        f"Measured at commit `{commit}` on {datetime.date.today().isoformat()}"
        + (
            ": "
            + ", ".join(f"`{module}`" for module, counts, *_ in rows if counts is not None)
            + "; the other rows are kept from earlier runs (notes below)."
            if any(counts is None and module in kept_rows for module, counts, *_ in rows)
            else "."
        ),
        "",
        "CI does not check that this report is newer than the modules it covers:",
        "file times do not survive a git checkout, and a hash check would fail every",
        "change to these modules until someone spends an hour re-running it. Re-run",
        "`make mutation` (or `make mutation MUTANTS='billing.cancellation*'`) after",
        "changing one of them, and commit the report with the change.",
        "",
        "| module | mutants | killed | survived | equivalent | not run | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for module, counts, _, _, _ in rows:
        if counts is None:
            out.append(kept_rows.get(module, f"| `{module}` | not measured | | | | | |"))
            continue
        total = sum(counts.values())
        out.append(
            f"| `{module}` | {total} | {counts['killed']} | {counts['survived']} | "
            f"{counts['equivalent']} | {counts['not run']} | {score(counts)} |"
        )
    for module, counts, survivors, equivalent, killed_elsewhere in rows:
        if counts is None and module in kept_sections:
            out += ["", kept_sections[module]]
            continue
        if counts is None or not (survivors or equivalent or killed_elsewhere):
            continue
        out += ["", f"## `{module}`", ""]
        if survivors:
            out += ["Survivors (a test is missing, or the mutant is yet to be judged):", ""]
            out += [f"- `{name}`: `{line}`" for name, line in survivors]
            out.append("")
        if equivalent:
            out += ["Equivalent:", ""]
            out += [f"- `{name}`: {reason}" for name, reason in equivalent]
            out.append("")
        if killed_elsewhere:
            out += [
                "Killed by a test checked by hand (counted as killed):",
                "",
            ]
            out += [f"- `{name}`: {test}" for name, test in killed_elsewhere]
    if NOTES.exists():
        out += ["", NOTES.read_text().rstrip()]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    os.chdir(ROOT)  # mutmut reads mutants/ and pyproject.toml from the working directory
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    args.out.write_text(render(config["only_mutate"]))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
