"""What counts as an outage, and the 503 page that answers it.

The database or Redis (cache, sessions, rate limits, broker) not answering,
or a statement or lock timeout firing, is "try again in a minute", never a
500: nothing was done (rate limits are checked before anything is queued),
so trying again later loses nothing. Django calls a middleware's
process_exception only for what a view raised; an outage raised in another
middleware (the vendor lookup, the session) reaches handler500, which asks
`is_outage` too, so every path answers the same 503.
"""

import logging

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# Django's OperationalError covers a refused connection, a pool timeout and
# a cancelled statement (statement_timeout, lock_timeout).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    BrokerError,
    OperationalError,
    InterfaceError,
)

RETRY_AFTER_SECONDS = 60


def is_outage(exception: BaseException | None) -> bool:
    """The exception, or one it was raised from, is a service not answering."""
    seen = 0
    while exception is not None and seen < 5:
        if isinstance(exception, OUTAGE_ERRORS):
            return True
        exception = exception.__cause__ or exception.__context__
        seen += 1
    return False


def service_unavailable(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The branded 503 with Retry-After; plain text if even that fails."""
    logger.error("Service unavailable: %s", exception.__class__.__name__)
    try:
        response = render(request, "503.html", status=503)
    except Exception:  # noqa: BLE001 - the page that says sorry must not fail itself
        response = HttpResponse(
            gettext("Please try again in a minute."), status=503, content_type="text/plain"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
