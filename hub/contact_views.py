"""Hub pages (being built for the hub issue)."""

from django.http import HttpRequest, HttpResponse


def contact(request: HttpRequest, account: str, **kwargs) -> HttpResponse:
    raise NotImplementedError
