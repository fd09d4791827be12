from django.http import HttpRequest


def hub(request: HttpRequest) -> dict:
    return {
        "vendor": getattr(request, "vendor", None),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
