"""Hub pages (being built for the hub issue)."""

from django.http import HttpRequest, HttpResponse


def purchases(request: HttpRequest, account: str, **kwargs) -> HttpResponse:
    raise NotImplementedError


def purchases_csv(request: HttpRequest, account: str, **kwargs) -> HttpResponse:
    raise NotImplementedError
