"""Passwordless access: the access form and the link and code redemption."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def access_form(request: HttpRequest, *, account: str, ended: str | None = None) -> HttpResponse:
    return render(request, "magiclinks/access_form.html", {"ended": ended})
