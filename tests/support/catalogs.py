"""What the catalog checks (tests/hub/test_catalogs.py, test_pseudo_locale.py)
share: a fresh extraction of the source, a pseudo-localised catalog built
from it, and the finder of visible text that no catalog produced.

Pseudo-localisation: every translation is its original wrapped in markers
("Save" -> "⟦Save⟧"). Rendered under that catalog, a page whose visible text
has anything outside the markers, once the data is taken away (names,
amounts, dates, emails: the fixture's own values and number and date
patterns), shows a string that makemessages did not extract: a string not
marked for translation, or marked in a way the extractor cannot see
(gettext(variable)). The check therefore needs no list of strings to look
for, and a string added tomorrow is checked too.
"""

import functools
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings

from hub.catalogs import translated_languages, without_creation_date

PSEUDO = "xx"  # a language code no catalog (ours, Django's) has
OPEN, CLOSE = "⟦", "⟧"

# What a copy of the source leaves out: nothing makemessages reads.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "var",
    "node_modules",
    "mutants",
    "tests",
    "bench",
    "docs",
    "__pycache__",
    ".*_cache",
    "*.mo",
    "*.egg-info",
)


def xgettext_missing() -> str:
    """Why the extraction cannot run here, or ""."""
    return "" if shutil.which("xgettext") and shutil.which("msgmerge") else "GNU gettext"


def must_have_gettext() -> bool:
    """CI (CI=true, or REQUIRE_SERVICES=1 as .ci/run sets) fails without it."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


def extract(destination: Path, languages: list[str]) -> Path:
    """Copy the source with its catalogs to `destination` and run `make
    messages`' command there for `languages`; return the copy's locale dir.

    A copy, not the working tree: the check must not write the catalogs it
    judges, and makemessages writes into the locale/ of the tree it runs in.
    """
    shutil.copytree(Path(settings.BASE_DIR), destination, ignore=_NOT_SOURCE)
    return messages_update(destination, languages)


def messages_update(tree: Path, languages: list[str]) -> Path:
    """Run `manage.py catalogs_update` (what `make messages` runs) in `tree`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DEBUG": "1",
        "PYTHONPATH": str(tree),
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    command = [sys.executable, "manage.py", "catalogs_update", "--verbosity=0"]
    command += [f"--locale={language}" for language in languages]
    subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True)
    return tree / "locale"


@pytest.fixture(scope="session")
def extracted(tmp_path_factory) -> Path:
    """A copy of the source whose catalogs `make messages` has just updated,
    for every translated language and the pseudo one; its locale dir."""
    missing = xgettext_missing()
    if missing:
        message = f"{missing} (xgettext, msgmerge) is needed to extract the catalogs"
        if must_have_gettext():
            pytest.fail(message + " (CI=true)", pytrace=False)
        pytest.skip(message)
    languages = translated_languages(settings.LANGUAGES)
    return extract(tmp_path_factory.mktemp("source") / "hub", [*languages, PSEUDO])


def catalog_differences(current: Path, fresh: Path, languages) -> list[str]:
    """The catalogs of `languages` that differ between two locale dirs, the
    header's creation date aside: missing on one side, or changed."""
    differences = []
    for language in languages:
        names = {
            path.name
            for root in (current, fresh)
            for path in (root / language / "LC_MESSAGES").glob("*.po")
        }
        for name in sorted(names):
            ours = current / language / "LC_MESSAGES" / name
            theirs = fresh / language / "LC_MESSAGES" / name
            if not ours.exists() or not theirs.exists():
                differences.append(f"{language}/{name}: missing")
            elif without_creation_date(ours.read_text()) != without_creation_date(
                theirs.read_text()
            ):
                differences.append(f"{language}/{name}: stale")
    return differences


def django_messages() -> tuple[Path, ...]:
    """Django's own English catalogs (its core, the admin, auth): its words
    on our pages (a form's "Enter a valid email address.", the admin's
    buttons) are translated by Django's catalogs."""
    import django

    root = Path(django.__file__).parent
    return (
        root / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po",
        *sorted((root / "contrib").glob("*/locale/en/LC_MESSAGES/django.po")),
    )


def pseudo_catalog(
    po_path: Path, locale_dir: Path, language: str = PSEUDO, also: tuple[Path, ...] = ()
) -> int:
    """Compile `po_path` into `locale_dir` with every translation replaced by
    its original in markers; the messages of the catalogs `also` join it.
    Return the number of messages."""
    # A language gettext does not know gets a placeholder plural rule:
    # English's, since every translation is the English original.
    text = po_path.read_text().replace(
        "nplurals=INTEGER; plural=EXPRESSION;", "nplurals=2; plural=(n != 1);"
    )
    catalog = read_po(io.StringIO(text))
    for extra in also:
        with extra.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.id not in catalog:
                    catalog[message.id] = message
    count = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            message.string = tuple(f"{OPEN}{text}{CLOSE}" for text in message.id[:2])
        else:
            message.string = f"{OPEN}{message.id}{CLOSE}"
        message.flags.discard("fuzzy")
        count += 1
    target = locale_dir / language / "LC_MESSAGES" / po_path.with_suffix(".mo").name
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_mo(handle, catalog)
    return count


# --- visible text -----------------------------------------------------------

# Attributes a person reads or hears (screen readers read the aria ones).
_READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-roledescription"}
_BUTTON_INPUTS = {"submit", "button", "reset"}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip: list[str] = []  # open script/style elements
        self._json = False

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag in ("br", "hr", "img", "input"):
            self.pieces.append("\n")
        for name, value in attributes.items():
            if value and name in _READ_ATTRIBUTES:
                self.pieces.append("\n" + value + "\n")
        if tag == "input" and attributes.get("type") in _BUTTON_INPUTS and attributes.get("value"):
            self.pieces.append("\n" + attributes["value"] + "\n")
        if tag == "meta" and attributes.get("name") == "description":
            self.pieces.append("\n" + (attributes.get("content") or "") + "\n")
        if tag in ("script", "style"):
            self._skip.append(tag)
            # Words a script shows (tests/hub/test_javascript_strings.py) come
            # from the page as JSON: those are read here.
            self._json = tag == "script" and attributes.get("type") == "application/json"

    def handle_endtag(self, tag) -> None:
        if self._skip and tag == self._skip[-1]:
            self._skip.pop()
            self._json = False
        elif tag in ("p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "br", "option"):
            self.pieces.append("\n")

    def handle_data(self, data) -> None:
        if not self._skip:
            self.pieces.append(data)
        elif self._json:
            self.pieces.extend("\n" + text + "\n" for text in _json_strings(json.loads(data)))


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _json_strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item)]
    return []


def visible_text(markup: str) -> str:
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.pieces)


# --- what is left when markers and data are gone ----------------------------

_MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
# Addresses go before the data: a data value ("US") may sit inside a token.
_ADDRESSES = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # email addresses
    re.compile(r"\b(https?://|www\.)\S+"),  # URLs
]
_PATTERNS = [
    re.compile(r"/[\w./?=&%-]*"),  # paths
    # Dates and times as babel writes them in English (the pseudo language
    # has no CLDR data, so formats fall back to English).
    re.compile(
        r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}"
        r"(,? (at )?\d{1,2}:\d{2}(:\d{2})?\s?(AM|PM)?( [A-Z]{2,5}\b| GMT[+-][\d:]+)?)?"
    ),
    re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\s?(AM|PM)\b( [A-Z]{2,5}\b| GMT[+-][\d:]+)?"),
    re.compile(r"\b(UTC|GMT)([+-]\d{1,2}(:\d{2})?)?\b"),
    # Amounts: symbols and ISO codes next to digits.
    re.compile(
        r"(\b(US|CA|A|NZ|HK))?[$€£¥₹]\s?[\d.,]+|[\d.,]+\s?[$€£¥₹]|\b[A-Z]{3}\s?[\d.,]+|[\d.,]+\s?[A-Z]{3}\b"
    ),
    re.compile(r"•+"),  # masked card numbers
    re.compile(r"\b\w+(?:[._]\w+)+\b"),  # identifiers: invoice.paid, payment_method
]
_LETTERS = re.compile(r"[^\W\d_]{2,}")


# printf-style (%(name)s, %(ratio).1f, %s) and format-style ({}, {name}).
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{\w*\}")
# Tags of HTML a message may hold ("<account>" in a help text is not one).
_HTML_TAG = r"</?(?:a|p|br|strong|em|b|i|span|code|abbr|small|ul|ol|li|kbd)\b[^>]*>"
_PIECES = re.compile(
    rf"({_HTML_TAG}|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{{\w*\}}|%%|\s+)"
)


def _collapse(text: str) -> str:
    return " ".join(text.split())


class MessageShapes:
    """The msgids of a catalog as the shapes a rendered translation takes:
    a marked segment must be one of them, and what fills its placeholders is
    text like any other (a raw "active" inside "⟦Status: %(status)s⟧" is an
    unmarked word too)."""

    def __init__(self, msgids) -> None:
        self.exact: set[str] = set()
        shaped: list[tuple[int, re.Pattern]] = []
        for msgid in msgids:
            if not re.search(_HTML_TAG, msgid) and not _PLACEHOLDER.search(msgid.replace("%%", "")):
                self.exact.add(_collapse(html.unescape(msgid)))
                continue
            pattern, literal = [], 0
            for piece in _PIECES.split(html.unescape(msgid)):
                if not piece:
                    continue
                if re.fullmatch(_HTML_TAG, piece) or piece.isspace():
                    pattern.append(r"\s*")  # a tag is gone from the visible text
                elif piece == "%%":
                    pattern.append("%")
                elif _PLACEHOLDER.fullmatch(piece):
                    pattern.append(r"(.*?)")
                else:
                    pattern.append(re.escape(piece))
                    literal += len(piece)
            shaped.append((literal, re.compile(r"\s*" + "".join(pattern) + r"\s*", re.S)))
        # The most specific shape first: "%(name)s" alone matches anything.
        self.shaped = [pattern for _, pattern in sorted(shaped, key=lambda item: -item[0])]

    def values(self, segment: str) -> list[str] | None:
        """What fills the placeholders of the msgid `segment` renders, or None
        when no msgid has its shape."""
        if _collapse(segment) in self.exact:
            return []
        for pattern in self.shaped:
            match = pattern.fullmatch(segment)
            if match:
                return list(match.groups())
        return None


@functools.lru_cache(maxsize=4)
def _data_pattern(data: tuple[str, ...]) -> re.Pattern:
    """The data as whole words: "on" stored somewhere must not take the
    "on" out of "Questions"."""
    values = sorted(set(data), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, values)) + r")(?!\w)")


def unmarked(text: str, data: list[str], shapes: MessageShapes | None = None) -> list[str]:
    """The words of `text` that no catalog produced: markers taken away
    (innermost first: a translated word may sit inside a translated
    sentence), then the `data` (longest first), then numbers, dates, amounts,
    emails and paths. Returns the lines still holding letters.

    With `shapes`, a marked segment must be a message of the catalog, and
    the values in its placeholders stay in the text to be judged."""
    strangers: list[str] = []

    def unwrap(match: re.Match) -> str:
        segment = match.group(0)[1:-1]
        if shapes is None:
            return " "
        values = shapes.values(segment)
        if values is None:
            strangers.append(f"{OPEN}{segment}{CLOSE} is no message of the catalog")
            return " "
        return "\n" + "\n".join(values) + "\n"

    previous = None
    while previous != text:
        previous, text = text, _MARKED.sub(unwrap, text)
    for pattern in _ADDRESSES:
        text = pattern.sub(" ", text)
    if data:
        text = _data_pattern(tuple(data)).sub(" ", text)
    for pattern in _PATTERNS:
        text = pattern.sub(" ", text)
    return strangers + [line.strip() for line in text.splitlines() if _LETTERS.search(line)]


def data_strings(models) -> list[str]:
    """Every text value stored in the rows of `models` (and in their JSON
    fields), lines of addresses one by one: what customers and vendors
    wrote, never our words. Fields with choices are left out: a status's
    stored value ("paid") is not what a page shows, its label is ours."""
    from django.db import models as db

    found: set[str] = set()

    def add(value) -> None:
        if isinstance(value, str):
            value = value.strip()
            # A stored number (a tax rate "19") holds no words, and as data
            # it would cut "6:19:48 PM" into pieces the date pattern misses.
            if len(value) >= 2 and not re.fullmatch(r"[\d.,%+-]+", value):
                found.add(value)
                found.update(line.strip() for line in value.splitlines() if len(line.strip()) >= 2)
                # As a JSON field shows it in the admin.
                found.add(json.dumps(value)[1:-1])
                found.add(json.dumps(value, ensure_ascii=False)[1:-1])
        elif isinstance(value, dict):
            # A snapshot's keys; not those with "_" or ".", which the
            # identifier pattern takes out whole: as data, "tax_id" would cut
            # the event customer.tax_id.updated into pieces it no longer sees.
            found.update(key for key in value if len(key) >= 2 and not re.search(r"[._]", key))
            for item in value.values():
                add(item)
        elif isinstance(value, list | tuple):
            for item in value:
                add(item)

    for model in models:
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, db.CharField | db.TextField | db.JSONField | db.FileField)
            and not field.choices
        ]
        for row in model.objects.values_list(*fields):
            for value in row:
                add(value)
    return sorted(found | {html.escape(value) for value in found})
