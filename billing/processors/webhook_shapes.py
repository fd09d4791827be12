"""What a webhook event must look like before we store it.

A valid signature proves who sent a body, not that it is sane: a sender
(or a bug at the processor, or a stolen secret) can sign an event id with a
NUL in it, which PostgreSQL refuses in a text column, a `data` that is a
string, or a `created` of 10**30. Every field we read or store is checked
here first, so such a delivery is a 400 ("invalid event") and never a 500
nor a row that processing cannot read. The checks are about shape only
(types, lengths, characters); what the event means is decided later, from
the object re-read at the processor.
"""

import re
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

# Processor ids and event types: printable ASCII without spaces. Stripe's
# are `evt_...`, `cus_...`, types like `invoice.paid`; PayPal's `WH-...`,
# `I-...`, types like `BILLING.SUBSCRIPTION.CANCELLED`.
ID = re.compile(r"[A-Za-z0-9_.:-]{1,255}")
EVENT_TYPE = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# A PayPal amount: a decimal string ("9.00"), negative in the refunds and
# reversals of PAYMENT.SALE.REFUNDED / .REVERSED ("-4.00", as PayPal's
# sample events write them).
AMOUNT = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,3})?")
# Free text kept from an event (a refund's reason): no control characters.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The header values kept with an event (signature, transmission id and time).
HEADER_VALUE = re.compile(r"[\x20-\x7e]{0,500}")
# Event times: from 2000 to 2100, which any real event falls in.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class EventShapeError(ValueError):
    """The event has a field of the wrong type or content."""


def _id(value: Any, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise EventShapeError("id")


def _text(value: Any, pattern: re.Pattern[str], *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise EventShapeError("text")


def _object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EventShapeError("object")
    return value


def stripe_event_check(data: dict[str, Any]) -> None:
    """Raise EventShapeError unless the fields of a Stripe event that we use
    (id, type, created, livemode, data.object.id/object/customer) have the
    shapes Stripe documents."""
    _id(data.get("id"), required=True)
    _text(data.get("type"), EVENT_TYPE, required=True)
    created = data.get("created")
    if created is not None:
        if isinstance(created, bool) or not isinstance(created, int):
            raise EventShapeError("created")
        if not EARLIEST.timestamp() <= created < LATEST.timestamp():
            raise EventShapeError("created")
    if not isinstance(data.get("livemode", False), bool):
        raise EventShapeError("livemode")
    obj = _object(_object(data.get("data")).get("object"))
    _id(obj.get("id"), required=False)
    _text(obj.get("object"), EVENT_TYPE, required=False)
    customer = obj.get("customer")
    if isinstance(customer, dict):
        _id(customer.get("id"), required=False)
    else:
        _id(customer, required=False)


def paypal_event_check(data: dict[str, Any]) -> None:
    """Raise EventShapeError unless the fields of a PayPal event that we use
    (id, event_type, create_time, resource_type, and the resource's ids,
    amount, time, reason and links) have the shapes PayPal documents."""
    _id(data.get("id"), required=True)
    _text(data.get("event_type"), EVENT_TYPE, required=True)
    _text(data.get("resource_type"), EVENT_TYPE, required=False)
    _time(data.get("create_time"))
    resource = _object(data.get("resource"))
    # What processing reads from the resource (billing.processors.paypal_sync): the
    # subscription or sale ids, and a refund's amount, time, reason (or note
    # to the payer) and links.
    for name in ("id", "billing_agreement_id", "sale_id"):
        _id(resource.get(name), required=False)
    _time(resource.get("create_time"))
    amount = _object(resource.get("amount"))
    for name in ("total", "value"):
        _text(amount.get(name), AMOUNT, required=False)
    for name in ("reason", "note_to_payer"):
        _free_text(resource.get(name))
    # A v2 refund (PAYMENT.CAPTURE.*) names its captured payment in a link.
    links = resource.get("links")
    if links is not None and not isinstance(links, list):
        raise EventShapeError("links")
    for link in links or []:
        link = _object(link)
        for name in ("rel", "href"):
            _free_text(link.get(name))


def _free_text(value: Any) -> None:
    if value is not None and (
        not isinstance(value, str) or CONTROL.search(value) or len(value) > 2000
    ):
        raise EventShapeError("text")


def _time(value: Any) -> None:
    if value is None:
        return
    try:
        when = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or not EARLIEST <= when < LATEST:
        raise EventShapeError("time")


def header_values_check(headers: dict[str, str]) -> None:
    """The header values we keep with an event are printable ASCII (a NUL
    would be refused by PostgreSQL's jsonb)."""
    for value in headers.values():
        if not isinstance(value, str) or not HEADER_VALUE.fullmatch(value[:500]):
            raise EventShapeError("header")


def refuse_constant(name: str) -> float:
    """For json.loads(parse_constant=...): NaN and Infinity are not JSON."""
    raise EventShapeError(f"not JSON: {name}")
