"""Webhook endpoints: POST /webhooks/stripe/<account>/ and /webhooks/paypal/<account>/.

Outside the hub, CSRF-exempt (the processor signs the body instead), POST
only. The view verifies and stores; processing happens in a task. Any
refusal is a 400 with a short JSON reason, logged without the body; nothing
here may 500: a processing error is stored on the event and retried.
"""

import logging
import re

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.processors.adapters.base import ProcessorError
from billing.processors.webhooks import (
    MAX_BODY_BYTES,
    WebhookQueueUnavailable,
    WebhookRejected,
    paypal_webhook_receive,
    stripe_webhook_receive,
)
from vendors.models import Vendor
from vendors.selectors import vendor_for_slug

logger = logging.getLogger(__name__)

ACCOUNT = re.compile(r"[a-z0-9-]{1,40}")

PAYPAL_HEADERS = (
    "Paypal-Auth-Algo",
    "Paypal-Cert-Url",
    "Paypal-Transmission-Id",
    "Paypal-Transmission-Sig",
    "Paypal-Transmission-Time",
)


def _refused(processor: str, account: str, reason: str) -> JsonResponse:
    # The account and the reason only: never the body, which may carry
    # customer data, nor the signature.
    logger.warning("webhook refused: %s %r: %s", processor, account[:40], reason)
    return JsonResponse({"error": reason}, status=400)


def _queue_unavailable(processor: str, account: str) -> JsonResponse:
    # Stored, not queued: a non-2xx makes the processor deliver it again
    # (and the sweep queues the stored row meanwhile), so nothing is lost.
    logger.warning("webhook %s %r: stored, queue unavailable: 503", processor, account[:40])
    response = JsonResponse({"error": "temporarily unavailable"}, status=503)
    response["Retry-After"] = "60"
    return response


def _body(request: HttpRequest) -> bytes:
    """The raw body, refusing one over the limit before reading it all."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise WebhookRejected("body too large")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRejected("body too large")
    return body


def _vendor(account: str) -> Vendor | None:
    # Checked before the query: control characters must never reach it.
    if not ACCOUNT.fullmatch(account):
        return None
    # The hub pages' per-process copy (a few seconds): loading and compiling
    # the 46-column row was a fifth of a delivery's CPU on a renewal day. A
    # webhook secret saved in another process is seen within those seconds;
    # a delivery refused meanwhile is delivered again by the processor, and
    # while a vendor rolls the secret the previous one stays accepted.
    return vendor_for_slug(slug=account)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, vendor_slug: str) -> JsonResponse:
    # Not `account`: the hub's tenant middleware would answer 404 for an
    # unknown one, and a processor gets a 400 with a reason instead.
    account = vendor_slug
    vendor = _vendor(account)
    if vendor is None:
        return _refused("stripe", account, "unknown account")
    try:
        event, created = stripe_webhook_receive(
            vendor=vendor,
            payload=_body(request),
            signature_header=request.headers.get("Stripe-Signature", ""),
        )
    except WebhookRejected as rejected:
        return _refused("stripe", account, rejected.reason)
    except WebhookQueueUnavailable:
        return _queue_unavailable("stripe", account)
    return JsonResponse({"received": True, "duplicate": not created})


@csrf_exempt
@require_POST
def paypal_webhook(request: HttpRequest, vendor_slug: str) -> JsonResponse:
    # Not `account`: the hub's tenant middleware would answer 404 for an
    # unknown one, and a processor gets a 400 with a reason instead.
    account = vendor_slug
    vendor = _vendor(account)
    if vendor is None:
        return _refused("paypal", account, "unknown account")
    headers = {name: request.headers.get(name, "") for name in PAYPAL_HEADERS}
    try:
        event, created = paypal_webhook_receive(
            vendor=vendor, payload=_body(request), headers=headers
        )
    except WebhookRejected as rejected:
        return _refused("paypal", account, rejected.reason)
    except WebhookQueueUnavailable:
        return _queue_unavailable("paypal", account)
    except ProcessorError as error:
        # PayPal could not be asked: it redelivers on a non-2xx answer.
        logger.warning("webhook paypal %s: verification unavailable (%s)", account, error.code)
        return JsonResponse({"error": "verification unavailable"}, status=503)
    return JsonResponse({"received": True, "duplicate": not created})
