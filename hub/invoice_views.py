"""Hub pages (being built for the hub issue)."""

from django.http import HttpRequest, HttpResponse


def invoice(request: HttpRequest, account: str, **kwargs) -> HttpResponse:
    raise NotImplementedError


def invoice_pdf(request: HttpRequest, account: str, **kwargs) -> HttpResponse:
    raise NotImplementedError
