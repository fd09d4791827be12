"""Every URL pattern of the project, read from the URLconf, so that tests
built on it (fuzzing, the tenancy matrix) cover a URL added tomorrow."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "<slug:account>/updateinfo/invoices/<str:number>/"
    name: str  # e.g. "hub:invoice"

    @property
    def parameters(self) -> list[str]:
        return [m.group("name") for m in PARAMETER.finditer(self.route)]

    def path(self, **values: str) -> str:
        """The URL with each <parameter> replaced by values[name] (as given:
        the caller quotes what must be quoted)."""
        return "/" + PARAMETER.sub(lambda m: values[m.group("name")], self.route)


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield Route(prefix + str(pattern.pattern), namespace + (pattern.name or ""))


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def hub_routes() -> list[Route]:
    """The routes of a vendor's hub (everything under <account>/updateinfo/)."""
    return [route for route in routes() if route.name.startswith("hub:")]
