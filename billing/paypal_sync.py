"""PayPal webhook events into our rows (filled in with the PayPal adapter)."""

from __future__ import annotations

from typing import Any

from .models import WebhookEvent
from .stripe_sync import Effects


def paypal_event_process(*, event: WebhookEvent, data: dict[str, Any], effects: Effects) -> bool:
    return False
