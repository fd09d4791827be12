"""Django's {# #} comments end at the line's end: one spread over two lines is
not a comment but text on the page (the dashboard showed one to customers)."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_opens_a_one_line_comment_it_does_not_close():
    unclosed = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert unclosed == [], "use {% comment %} for comments over several lines"


def test_the_dashboard_does_not_show_its_comment(alice_client, vendor):
    page = alice_client.get(vendor.hub_path).text
    assert "250-country list" not in page
