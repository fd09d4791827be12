"""Processor connections as a vendor sees them: the webhook endpoints to
register, the events to enable, and a Test connection that asks the
processor and says plainly what works and what is wrong."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from vendors.models import Vendor

from .adapters import adapter_for
from .adapters.base import ConnectionReport, ProcessorError, WebhookEndpoint

STRIPE_EVENTS = [
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.updated",
    "customer.tax_id.updated",
    "charge.refunded",
    "payment_method.attached",
]
PAYPAL_EVENTS = [
    "PAYMENT.SALE.COMPLETED",
    "PAYMENT.SALE.REFUNDED",
    "PAYMENT.SALE.REVERSED",
    "PAYMENT.CAPTURE.REFUNDED",
    "PAYMENT.CAPTURE.REVERSED",
    "BILLING.SUBSCRIPTION.ACTIVATED",
    "BILLING.SUBSCRIPTION.UPDATED",
    "BILLING.SUBSCRIPTION.CANCELLED",
    "BILLING.SUBSCRIPTION.SUSPENDED",
    "BILLING.SUBSCRIPTION.EXPIRED",
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
]
# PayPal's webhook ids are letters and digits, at most 50 (the webhook_id of
# its verify-webhook-signature request); any other id is refused with a 400.
PAYPAL_WEBHOOK_ID = re.compile(r"[A-Za-z0-9]{1,50}")
EVENTS = {"stripe": STRIPE_EVENTS, "paypal": PAYPAL_EVENTS}


def webhook_url(*, vendor: Vendor, processor: str) -> str:
    """Where `processor` sends `vendor`'s events; built from SITE_URL."""
    return f"{settings.SITE_URL}/webhooks/{processor}/{vendor.slug}/"


@dataclass
class ConnectionResult:
    """The answer of a Test connection: one (ok, sentence) per check."""

    processor: str
    checks: list[tuple[bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for ok, _ in self.checks)

    def add(self, ok: bool, message: str) -> None:
        self.checks.append((ok, message))


def connection_test(*, vendor: Vendor, processor: str) -> ConnectionResult:
    """Ask `processor` whether `vendor`'s saved credentials work, and check
    the rest of the connection (keys that match, the webhook endpoint and
    its events, the signing secret). Reads only; never shows a secret."""
    result = ConnectionResult(processor=processor)
    try:
        adapter = adapter_for(vendor=vendor, processor=processor)
    except ProcessorError:
        result.add(False, _("Not connected: no credentials are saved for this processor yet."))
        return result
    report: ConnectionReport = adapter.connection_check()  # type: ignore[attr-defined]
    if processor == "stripe":
        _stripe_checks(vendor, report, result)
    else:
        _paypal_checks(vendor, report, result, adapter)
    return result


def _refused(report: ConnectionReport, result: ConnectionResult, refused: str) -> bool:
    if report.ok:
        return False
    if report.code == "not_connected":
        result.add(False, refused)
    else:
        result.add(
            False,
            _("The processor could not be reached just now; nothing was changed. Try again."),
        )
    return True


def _mode(livemode: bool | None) -> str:
    return _("live mode") if livemode else _("test mode")


def _stripe_checks(vendor: Vendor, report: ConnectionReport, result: ConnectionResult) -> None:
    refused = _(
        "Stripe refused the secret key. Copy it again from Developers → API keys "
        "in your Stripe dashboard (it starts with sk_ or rk_)."
    )
    if _refused(report, result, refused):
        return
    result.add(True, _("The secret key works (%(mode)s).") % {"mode": _mode(report.livemode)})
    publishable = vendor.stripe_publishable_key
    if not publishable:
        result.add(False, _("No publishable key: the card form in the hub needs it."))
    elif publishable.startswith("pk_live_") != bool(report.livemode):
        result.add(
            False,
            _("The publishable key is not of the same mode as the secret key (%(mode)s).")
            % {"mode": _mode(report.livemode)},
        )
    else:
        result.add(True, _("The publishable key matches the secret key."))
    _webhook_checks(vendor, report.webhook_endpoints, "stripe", result)
    if vendor.stripe_webhook_secret:
        result.add(True, _("A webhook signing secret is saved."))
    else:
        result.add(
            False,
            _("No webhook signing secret is saved (whsec_…): events cannot be verified."),
        )


def _paypal_checks(
    vendor: Vendor, report: ConnectionReport, result: ConnectionResult, adapter: Any
) -> None:
    environment = _("live") if vendor.paypal_environment == "live" else _("sandbox")
    refused = _(
        "PayPal refused the client id and secret in its %(env)s environment. Check both, "
        "and that the environment matches the one your PayPal app was created in."
    ) % {"env": environment}
    if _refused(report, result, refused):
        return
    result.add(True, _("The client id and secret work in PayPal's %(env)s.") % {"env": environment})
    endpoints = report.webhook_endpoints
    webhook_id = vendor.paypal_webhook_id
    if not webhook_id:
        result.add(False, _("No webhook id is saved: PayPal's events cannot be verified."))
    elif not PAYPAL_WEBHOOK_ID.fullmatch(webhook_id) or not _paypal_accepts(adapter, webhook_id):
        result.add(
            False,
            _(
                "PayPal refuses the saved webhook id, so every event it sends is turned away. "
                "Copy the Webhook ID (letters and digits only) again from your PayPal app's "
                "webhooks."
            ),
        )
        return
    elif endpoints is not None and vendor.paypal_webhook_id not in {e.id for e in endpoints}:
        result.add(False, _("PayPal has no webhook with the saved webhook id."))
        return
    _webhook_checks(vendor, endpoints, "paypal", result)


def _paypal_accepts(adapter: Any, webhook_id: str) -> bool:
    """Whether PayPal takes the webhook id in a verification (asked with a
    made-up delivery); True when PayPal cannot be asked just now."""
    try:
        return bool(adapter.webhook_id_check(webhook_id=webhook_id))
    except ProcessorError:
        return True


def _webhook_checks(
    vendor: Vendor,
    endpoints: list[WebhookEndpoint] | None,
    processor: str,
    result: ConnectionResult,
) -> None:
    url = webhook_url(vendor=vendor, processor=processor)
    if endpoints is None:
        result.add(False, _("The webhook endpoints could not be read; check them yourself."))
        return
    ours = [e for e in endpoints if e.url.rstrip("/") == url.rstrip("/")]
    if not ours:
        result.add(
            False,
            _("No webhook endpoint sends to %(url)s yet: add it with the events listed below.")
            % {"url": url},
        )
        return
    endpoint = ours[0]
    if not endpoint.enabled:
        result.add(False, _("The webhook endpoint %(url)s is disabled.") % {"url": url})
        return
    missing = [
        e for e in EVENTS[processor] if "*" not in endpoint.events and e not in endpoint.events
    ]
    if missing:
        result.add(
            False,
            _("The webhook endpoint %(url)s is registered but does not send: %(events)s.")
            % {"url": url, "events": ", ".join(missing)},
        )
    else:
        result.add(True, _("The webhook endpoint %(url)s is registered.") % {"url": url})
