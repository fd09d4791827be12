"""Our stylesheets speak in logical directions (issue 23): a page set to
dir="rtl" (Arabic, Hebrew) mirrors by itself. tests/browser/test_rtl.py
checks the pages in Chromium; this keeps left and right out of the CSS."""

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"

# Properties that name a physical side, and values that do.
PHYSICAL = re.compile(
    r"(?<![\w-])(margin|padding|border)-(left|right)(-\w+)?\s*:"
    r"|(?<![\w-])(left|right)\s*:"
    r"|(?<![\w-])(text-align|float|clear)\s*:\s*(left|right)\b"
    r"|(?<![\w-])border-(top|bottom)-(left|right)-radius\s*:"
)
# Four-value margins and paddings whose left and right differ.
_VALUE = r"([^\s;}]+)"
FOUR_SIDES = re.compile(
    rf"(?<![\w-])(margin|padding)\s*:\s*{_VALUE}\s+{_VALUE}\s+{_VALUE}\s+{_VALUE}\s*[;}}]"
)


def physical_declarations(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = [match.group(0) for match in PHYSICAL.finditer(css)]
    found += [
        m.group(0).rstrip(";}").strip()
        for m in FOUR_SIDES.finditer(css)
        if m.group(3) != m.group(5)
    ]
    return found


def test_our_stylesheets_name_no_physical_side():
    found = {path.name: physical_declarations(path.read_text()) for path in STATIC.rglob("*.css")}
    assert {name: rules for name, rules in found.items() if rules} == {}


def test_the_check_finds_left_and_right():
    css = (
        ".a { margin-left: 1rem; text-align: right; left: 0; }\n"
        ".b { padding: .1rem 1rem .1rem 0; margin: 0 1rem 0 1rem; }\n"
        ".c { margin-inline-start: 1rem; text-align: start; inset-inline-start: 0; }\n"
        "/* left: comments are fine */ .d { border-top-left-radius: 4px; }"
    )
    assert physical_declarations(css) == [
        "margin-left:",
        "text-align: right",
        "left:",
        "border-top-left-radius:",
        "padding: .1rem 1rem .1rem 0",
    ]
