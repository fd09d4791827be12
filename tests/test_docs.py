"""docs/urls.md lists every URL the project serves, and README walks through
every demo customer (issue 21, point 13)."""

import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

DOC = (Path(__file__).resolve().parent.parent / "docs" / "urls.md").read_text()
# The names docs/urls.md gives the routes' parameters.
PARAMETERS = {"subscription_id": "id", "mail_id": "id", "vendor_slug": "account", "name": "..."}


def routes(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/")):
                continue  # Django's admin and the API's own listing (OpenAPI)
            yield from routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def as_documented(route: str) -> str:
    def name(match):
        parameter = match.group(1)
        return f"<{PARAMETERS.get(parameter, parameter)}>"

    written = re.sub(r"<(?:\w+:)?(\w+)>", name, route)
    return written.replace("/<...>", "/...")


def test_every_url_is_in_docs_urls_md():
    missing = []
    for route in routes(get_resolver().url_patterns):
        written = as_documented(route)
        hub = "<account>/updateinfo/"
        if written.startswith(hub):
            found = f".../{written[len(hub) :]}" in DOC or (written == hub and f"/{hub}" in DOC)
        else:
            found = f"/{written}" in DOC
        if not found:
            missing.append(written)
    assert not missing, missing


def test_the_readme_walks_through_every_demo_customer():
    """README's "Things to try" has a story for each customer the demo seeds."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    things = readme.split("Things to try:")[1].split("\n\n")[0]
    for name in ("alex", "blair", "casey", "dana", "eli"):
        assert f"**{name}@example.com" in things, name
