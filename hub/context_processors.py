from django.conf import settings
from django.http import HttpRequest

from vendors.formatting import offered_languages


def hub(request: HttpRequest) -> dict:
    vendor = getattr(request, "vendor", None)
    names = dict(settings.LANGUAGES)
    return {
        "vendor": vendor,
        "csp_nonce": getattr(request, "csp_nonce", ""),
        # The footer's language menu: each language named in itself.
        "hub_languages": [(code, names[code]) for code in offered_languages(vendor)]
        if vendor is not None
        else [],
    }
