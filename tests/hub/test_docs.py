"""The README and docs/ point only at files that are in the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)")


def test_every_relative_link_in_the_docs_exists():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(pages) > 1
    for page in pages:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = (page.parent / target).resolve()
            assert path.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
            assert path.exists(), f"{page.name} links to a missing file: {target}"


def test_the_readme_does_not_send_contributors_outside_the_repository():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "DESIGN.md" not in text and "STYLE.md" not in text and "../shared" not in text
