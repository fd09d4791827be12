"""Our translation catalogs (locale/<lang>/LC_MESSAGES/*.po): how they are
extracted, compiled and checked. docs/translating.md is the guide.

Compiling uses babel (a Python dependency), not GNU gettext's `msgfmt`: the
demo, the Docker image and a developer's `make install` need no system
package. Extracting (`make messages`, Django's makemessages) needs GNU
gettext's `xgettext`; only people who change strings and CI run it.

    python -m hub.catalogs compile [DIR]  # every .po under locale/ -> .mo
    python -m hub.catalogs check [DIR]    # empty or fuzzy messages, per catalog

This module imports no Django settings, so the Dockerfile can run it before
any configuration exists.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAINS = ("django", "djangojs")
SOURCE_LANGUAGE = "en"

# What `make messages` passes to makemessages, and so what the staleness
# check runs: one list, so the check cannot drift from the command.
# --add-location=file: a reference names the file, not the line, so moving
# a string within a file does not touch every catalog.
# --no-obsolete: a removed string leaves the catalogs instead of lingering
# as a "#~" comment translators would keep reading.
MAKEMESSAGES_IGNORES = (
    ".venv",
    "venv",
    "tests",
    "bench",
    "var",
    "node_modules",
    "staticfiles",
    "mutants",
    "build",
    "docs",
)
MAKEMESSAGES_OPTIONS = (
    "--add-location=file",
    "--no-obsolete",
    *(f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORES),
)


def makemessages_args(languages, domain: str) -> list[str]:
    """The arguments of `manage.py makemessages` for `languages` and `domain`."""
    return [
        "makemessages",
        *(f"--locale={language}" for language in languages),
        f"--domain={domain}",
        *MAKEMESSAGES_OPTIONS,
    ]


def translated_languages(languages) -> list[str]:
    """The codes of settings.LANGUAGES that have a catalog: all but the source."""
    return [code for code, _ in languages if code != SOURCE_LANGUAGE]


def catalog_files(root: Path = LOCALE_DIR) -> list[Path]:
    return sorted(root.glob("*/LC_MESSAGES/*.po"))


def compile_catalogs(root: Path = LOCALE_DIR) -> list[Path]:
    """Write a .mo next to every .po under `root`; return the .mo paths.

    Fuzzy messages are left out of the .mo (babel's default, as msgfmt's):
    a guess is never shown to a customer; the check below fails on them.
    """
    written = []
    for po_path in catalog_files(root):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(mo_path)
    return written


@dataclass(frozen=True)
class Problem:
    path: str
    msgid: str
    what: str  # "empty" or "fuzzy"

    def __str__(self) -> str:
        return f"{self.path}: {self.what}: {self.msgid!r}"


def catalog_problems(po_path: Path) -> list[Problem]:
    """Messages of a catalog a customer would see untranslated: an empty
    translation (any plural form empty counts) or a fuzzy one (msgmerge's
    guess, never compiled)."""
    with po_path.open("rb") as handle:
        catalog: Catalog = read_po(handle, locale=po_path.parent.parent.name)
    problems = []
    for message in catalog:
        if not message.id:  # the header
            continue
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if message.fuzzy:
            problems.append(Problem(str(po_path), msgid, "fuzzy"))
        elif not strings or any(not text for text in strings):
            problems.append(Problem(str(po_path), msgid, "empty"))
    return problems


def without_creation_date(po_text: str) -> str:
    """A catalog's text without the header line makemessages rewrites on
    every run, so that two extractions of the same strings compare equal."""
    return "".join(
        line
        for line in po_text.splitlines(keepends=True)
        if not line.startswith('"POT-Creation-Date:')
    )


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    root = Path(argv[1]) if len(argv) > 1 else LOCALE_DIR
    if command == "compile":
        written = compile_catalogs(root)
        print(f"compiled {len(written)} catalog(s) under {root}")
        return 0
    if command == "check":
        problems = [p for path in catalog_files(root) for p in catalog_problems(path)]
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s) in {len(catalog_files(root))} catalog(s)")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
