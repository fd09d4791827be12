"""No hard-coded English in our JavaScript (issue 23): a script shows words
the page gave it, translated in the template (data attributes such as
data-saving-text, or a json_script block such as the card's error
messages), so there is no djangojs catalog to keep. The pseudo-locale check
(test_pseudo_locale.py) reads those attributes and JSON blocks on every page.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_COMMENTS = re.compile(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", re.S)
_LITERALS = re.compile(r"\"((?:[^\"\\\n]|\\.)*)\"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`")
_SCRIPTS = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S)
# Words to a person: a capitalised word, or two words in a row.
_PROSE = re.compile(r"\b[A-Z][a-z]{2,}\b|\b[a-z]{2,} [a-z]{2,}\b")
# Literals a person never sees: directives and CSS selectors.
NOT_PROSE = {"use strict"}
_SELECTOR = re.compile(r"^[.#\[]|^[a-z]+[.#\[:]")


def prose_literals(source: str) -> list[str]:
    found = []
    for match in _LITERALS.finditer(_COMMENTS.sub("", source)):
        literal = next(group for group in match.groups() if group is not None)
        if literal in NOT_PROSE or _SELECTOR.match(literal):
            continue
        if _PROSE.search(literal):
            found.append(literal)
    return found


def scripts() -> dict[str, str]:
    sources = {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "static").rglob("*.js")}
    for template in (ROOT / "templates").rglob("*.html"):
        inline = "\n".join(_SCRIPTS.findall(template.read_text()))
        if inline.strip():
            sources[str(template.relative_to(ROOT))] = inline
    return sources


def test_our_scripts_hold_no_words_for_people():
    found = {name: prose_literals(source) for name, source in scripts().items()}
    assert {name: words for name, words in found.items() if words} == {}


def test_the_check_finds_a_hard_coded_message():
    source = """
        // "Comments are fine"
        status.textContent = form.dataset.savingText || "Saving your card…";
        button.textContent = 'Copied';
        fetch(url, {method: "POST", credentials: "same-origin"});
        form.querySelector(".field--invalid input, [role=alert]");
    """
    assert prose_literals(source) == ["Saving your card…", "Copied"]
