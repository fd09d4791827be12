"""Hub pages (being built for the hub issue)."""

from django.http import HttpRequest, HttpResponse


def subscriptions(request: HttpRequest, account: str, **kwargs) -> HttpResponse:
    raise NotImplementedError
