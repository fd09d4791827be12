"""The translation catalogs are complete and current (issue 23).

- Every language in settings.LANGUAGES but English (the source) has a
  catalog, and no message in it is empty or fuzzy.
- No catalog is stale: `make messages` run now (on a copy of the source)
  would not change it, the header's creation date aside. This runs GNU
  gettext's xgettext: without it the check skips, and fails in CI
  (CI=true or REQUIRE_SERVICES=1, as .ci/run sets).

The checkers themselves are tested on small catalogs below, so a check that
passes because it looks at nothing would fail here. docs/translating.md
says what to do when one of these fails.
"""

import gettext
import shutil
from pathlib import Path

from django.conf import settings

from hub.catalogs import (
    LOCALE_DIR,
    catalog_files,
    catalog_problems,
    compile_catalogs,
    translated_languages,
    without_creation_date,
)
from tests.support.catalogs import (
    PSEUDO,
    catalog_differences,
    messages_update,
    must_have_gettext,
)

HEADER = """msgid ""
msgstr ""
"Project-Id-Version: PACKAGE VERSION\\n"
"POT-Creation-Date: {date}\\n"
"Language: de\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

"""


def write_catalog(root: Path, body: str, date: str = "2026-12-07 10:00+0000") -> Path:
    path = root / "de" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(date=date) + body)
    return path


# --- the repository's catalogs ---------------------------------------------------


def test_the_languages_are_english_and_the_translated_ones():
    assert translated_languages(settings.LANGUAGES) == ["de", "fr", "es"]


def test_every_language_has_a_complete_catalog():
    missing = [
        code
        for code, _ in settings.LANGUAGES
        if code != "en" and not (LOCALE_DIR / code / "LC_MESSAGES" / "django.po").exists()
    ]
    assert missing == [], "no catalog (docs/translating.md adds one)"
    problems = [str(p) for path in catalog_files() for p in catalog_problems(path)]
    assert problems == []


def test_no_catalog_is_stale(extracted):
    assert (
        catalog_differences(LOCALE_DIR, extracted, translated_languages(settings.LANGUAGES)) == []
    ), "run `make messages` and have the new strings translated"


# --- the checkers --------------------------------------------------------------


def test_catalog_problems_names_empty_and_fuzzy_messages(tmp_path):
    path = write_catalog(
        tmp_path,
        'msgid "Save"\nmsgstr "Speichern"\n\n'
        'msgid "Cancel"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Close"\nmsgstr "Schließen"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s Tag"\nmsgstr[1] ""\n\n'
        'msgid "%(n)s week"\nmsgid_plural "%(n)s weeks"\n'
        'msgstr[0] "%(n)s Woche"\nmsgstr[1] "%(n)s Wochen"\n',
    )
    found = {(p.msgid, p.what) for p in catalog_problems(path)}
    assert found == {("Cancel", "empty"), ("Close", "fuzzy"), ("%(n)s day", "empty")}


def test_a_complete_catalog_has_no_problems_and_compiles(tmp_path):
    path = write_catalog(tmp_path, 'msgid "Save"\nmsgstr "Speichern"\n')
    assert catalog_problems(path) == []
    [mo] = compile_catalogs(tmp_path)
    assert gettext.GNUTranslations(mo.open("rb")).gettext("Save") == "Speichern"


def test_the_creation_date_alone_is_no_difference(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    write_catalog(old, 'msgid "Save"\nmsgstr "Speichern"\n')
    write_catalog(new, 'msgid "Save"\nmsgstr "Speichern"\n', date="2027-01-01 09:00+0000")
    assert catalog_differences(old, new, ["de"]) == []
    assert without_creation_date(HEADER.format(date="x")) == without_creation_date(
        HEADER.format(date="y")
    )


def test_a_new_changed_or_missing_catalog_is_a_difference(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    write_catalog(old, 'msgid "Save"\nmsgstr "Speichern"\n')
    write_catalog(new, 'msgid "Save"\nmsgstr "Speichern"\n\nmsgid "Cancel"\nmsgstr ""\n')
    assert catalog_differences(old, new, ["de"]) == ["de/django.po: stale"]
    shutil.rmtree(old / "de")
    assert catalog_differences(old, new, ["de"]) == ["de/django.po: missing"]


def test_the_extraction_sees_a_new_string(extracted, tmp_path):
    """End to end: a string added to a template makes a catalog extracted
    before it stale, as the repository's would be."""
    copy = tmp_path / "hub"
    shutil.copytree(extracted.parent, copy)
    template = copy / "templates" / "hub" / "contact.html"
    template.write_text(template.read_text() + "{% translate 'A string added today' %}\n")
    messages_update(copy, [PSEUDO])
    assert catalog_differences(extracted, copy / "locale", [PSEUDO]) == ["xx/django.po: stale"]
    assert 'msgid "A string added today"' in (copy / "locale/xx/LC_MESSAGES/django.po").read_text()


def test_ci_requires_gettext(monkeypatch):
    """Where the extraction cannot run, the checks skip, except in CI."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    assert not must_have_gettext()
    monkeypatch.setenv("CI", "true")
    assert must_have_gettext()
    monkeypatch.setenv("CI", "")
    monkeypatch.setenv("REQUIRE_SERVICES", "1")
    assert must_have_gettext()
