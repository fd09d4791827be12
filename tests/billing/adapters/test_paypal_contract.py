"""The PayPal contract (issue 29, point 3): the fields the adapter reads and
the fake PayPal's answers, checked against `paypal-server-sdk`'s own models
(generated from PayPal's OpenAPI specifications).

- every field path in `SDK_FIELDS_READ` exists in the pinned SDK;
- reading the fake's answers through the adapter touches no field missing
  from those declarations (so a misspelt read cannot hide behind the list);
- every answer of the fake parses with the SDK's model and has no member,
  and no enum value, that the model does not declare.

That the checks can fail is shown by `test_the_checks_catch_*`: a misspelt
path, a field PayPal's model does not have (a subscriber's `name.full_name`,
which the adapter read until this test found it), an invented member and an
unknown status are all reported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from paypalserversdk.models.refund import Refund as SdkRefund
from paypalserversdk.models.subscription import Subscription as SdkSubscription
from paypalserversdk.models.transactions_list import TransactionsList as SdkTransactionsList

from billing.processors import paypal_sync
from billing.processors.adapters import paypal as paypal_module
from billing.processors.adapters.paypal import (
    ENUM_VALUES_COMPARED,
    OTHER_FIELDS_READ,
    SDK_FIELDS_READ,
    STATUSES,
    PayPalAdapter,
)
from tests.support.fake_paypal import event_body
from tests.support.paypal_contract import enum_values, path_exists, undeclared

SDK_PATHS = [(model, path) for model, paths in SDK_FIELDS_READ.items() for path in paths]


@pytest.fixture
def paypal(settings, fake_paypal_clean):
    settings.PAYPAL_API_BASE = fake_paypal_clean
    return fake_paypal_clean


@pytest.fixture
def adapter(paypal):
    return PayPalAdapter(client_id="contract-client", client_secret="secret", sandbox=True)


def post(base: str, path: str, **body: Any) -> Any:
    response = requests.post(f"{base}{path}", json=body, timeout=5)
    response.raise_for_status()
    return response.json() if response.content else None


class Api:
    """PayPal's REST API of the fake, called as a client would (bearer token)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = requests.post(
            f"{base}/v1/oauth2/token", auth=("id", "secret"), data="grant_type=client_credentials"
        ).json()["access_token"]

    def call(self, method: str, path: str, headers: dict | None = None, **kwargs: Any):
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return requests.request(method, f"{self.base}{path}", headers=headers, timeout=5, **kwargs)

    def subscription(self, subscription_id: str) -> dict:
        return self.call("GET", f"/v1/billing/subscriptions/{subscription_id}").json()


def full_subscription(base: str) -> dict:
    """A subscription using every optional part the adapter reads: a trial
    cycle, exclusive tax, shipping, a failed renewal and a paid one."""
    created = post(
        base,
        "/_fake/subscriptions",
        tax_percentage="20",
        shipping_amount={"currency_code": "EUR", "value": "3.00"},
        amount={"currency_code": "EUR", "value": "10.00"},
        quantity="2",
        billing_info={
            "cycle_executions": [
                {
                    "tenure_type": "TRIAL",
                    "sequence": 1,
                    "cycles_completed": 1,
                    "cycles_remaining": 0,
                    "current_pricing_scheme_version": 1,
                    "total_cycles": 1,
                },
                {
                    "tenure_type": "REGULAR",
                    "sequence": 2,
                    "cycles_completed": 1,
                    "cycles_remaining": 0,
                    "current_pricing_scheme_version": 1,
                    "total_cycles": 0,
                },
            ]
        },
    )
    post(base, f"/_fake/subscriptions/{created['id']}/renew", status="FAILED")
    post(base, f"/_fake/subscriptions/{created['id']}/renew", status="COMPLETED")
    return created


# --- the declared reads exist in the SDK ------------------------------------------------


@pytest.mark.parametrize("model, path", SDK_PATHS, ids=[f"{m}.{p}" for m, p in SDK_PATHS])
def test_every_field_the_adapter_reads_exists_in_the_sdk(model, path):
    assert path_exists(model, path), f"{model} has no {path} in paypal-server-sdk"


def test_the_status_strings_the_code_compares_are_the_sdks():
    assert set(STATUSES) == enum_values("SubscriptionStatus")
    assert ENUM_VALUES_COMPARED["TenureType"] <= enum_values("TenureType")
    assert ENUM_VALUES_COMPARED["IntervalUnit"] <= enum_values("IntervalUnit")
    transaction_statuses = paypal_sync.PAID_STATUSES | paypal_sync.FAILED_STATUSES
    assert transaction_statuses <= enum_values("CaptureStatus")
    refund_statuses = paypal_sync.REFUNDS_THAT_TOOK_NOTHING
    assert refund_statuses <= enum_values("RefundStatus")


def test_the_checks_catch_a_misspelt_or_absent_field():
    assert not path_exists("Subscription", "billing_info.next_billing_tme")
    # PayPal's subscriber name has given_name and surname only; the adapter
    # read `full_name` there until this contract was written.
    assert not path_exists("Subscription", "subscriber.name.full_name")
    assert not path_exists("Subscription", "plan.billing_cycles.frequency")  # a list: []
    assert not path_exists("TransactionsList", "transactions[].amount")
    assert path_exists("TransactionsList", "transactions[].payer_name.full_name")


def test_the_checks_catch_an_invented_member_or_status():
    answer = {
        "id": "I-1",
        "status": "PAUSED",
        "billing_info": {"next_billing_tme": "2026-01-01T00:00:00Z"},
        "plan": {"billing_cycles": [{"frequency": {"interval_unit": "FORTNIGHT"}}]},
    }
    assert undeclared("Subscription", answer) == [
        "status: 'PAUSED' is not a SubscriptionStatus",
        "billing_info.next_billing_tme: not in SubscriptionBillingInformation",
        "plan.billing_cycles[].frequency.interval_unit: 'FORTNIGHT' is not a IntervalUnit",
    ]


# --- the adapter reads nothing else -------------------------------------------------------


class Recording(dict):
    """A JSON object that notes each member read from it (by `get` or `[]`,
    present or not), with its path from the answer's root."""

    def __init__(self, data: dict, root: str, path: str, log: set) -> None:
        super().__init__(data)
        self.root, self.path, self.log = root, path, log

    def _wrap(self, key: str, value: Any) -> Any:
        path = f"{self.path}{key}"
        if isinstance(value, dict):
            return Recording(value, self.root, f"{path}.", self.log)
        if isinstance(value, list):
            return [
                Recording(v, self.root, f"{path}[].", self.log) if isinstance(v, dict) else v
                for v in value
            ]
        return value

    def get(self, key: str, default: Any = None) -> Any:
        self.log.add((self.root, f"{self.path}{key}"))
        return self._wrap(key, super().get(key)) if key in self else default

    def __getitem__(self, key: str) -> Any:
        self.log.add((self.root, f"{self.path}{key}"))
        return self._wrap(key, super().__getitem__(key))


def _root(data: dict) -> str:
    if "transactions" in data:
        return "TransactionsList"
    if "verification_status" in data:
        return "verify response"
    if "webhooks" in data:
        return "webhook list"
    if "sale_id" in data:
        return "v1 refund"
    if "final_capture" in data:
        return "CapturedPayment"
    if "amount" in data and "status" in data:
        return "Refund"
    return "Subscription"


def _leaves(read: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The paths read, less those only read on the way to a deeper one."""
    return {
        (root, path)
        for root, path in read
        if not any(
            r == root and (p.startswith(f"{path}.") or p.startswith(f"{path}[]")) for r, p in read
        )
    }


def _with_prefixes(paths: tuple[str, ...]) -> set[str]:
    found = set()
    for path in paths:
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            found |= {prefix, prefix.removesuffix("[]")}
    return found


def test_reading_the_fakes_answers_touches_only_declared_fields(paypal, adapter, monkeypatch):
    read: set[tuple[str, str]] = set()
    original = paypal_module._raw
    monkeypatch.setattr(
        paypal_module,
        "_raw",
        lambda response: Recording(original(response), _root(original(response)), "", read),
    )
    created = full_subscription(paypal)
    post(paypal, "/_fake/webhooks", url="https://hub.example/webhooks/paypal/x/", events=["*"])
    sale = post(paypal, f"/_fake/subscriptions/{created['id']}/renew")["sale"]
    refund = post(paypal, "/_fake/refunds", sale_id=sale["id"], value="1.00")
    reversal = post(paypal, "/_fake/refunds", sale_id=sale["id"], value="1.00", reversal=True)
    capture_refund = post(paypal, "/_fake/refunds", sale_id=sale["id"], value="1.00", v2=True)
    now = datetime.now(UTC)

    adapter.subscription_get(subscription_id=created["id"])
    adapter.payer_get(subscription_id=created["id"])
    adapter.subscription_transactions(
        subscription_id=created["id"], start=now - timedelta(days=30), end=now
    )
    adapter.connection_check()
    adapter.webhook_id_check(webhook_id="9CONTRACT0000001")
    adapter.sale_of_event(resource=Recording(sale, "v1 sale", "", read))
    adapter.refund_of_event(resource=Recording(refund, "v1 refund", "", read))
    adapter.refund_of_event(resource=Recording(reversal, "v1 refund", "", read))
    adapter.refund_of_capture_event(resource=Recording(capture_refund, "Refund", "", read))
    adapter.refund_create(charge_id=sale["id"], amount=Decimal("1.00"), idempotency_key="c-1")
    adapter.refund_create(charge_id=sale["id"], idempotency_key="c-2")

    declared = {**SDK_FIELDS_READ, **OTHER_FIELDS_READ}
    stray = [
        f"{root}: {path}"
        for root, path in sorted(_leaves(read))
        if path not in _with_prefixes(declared.get(root, ()))
    ]
    assert stray == []
    # And the recording saw the reads (the test would pass vacuously otherwise).
    assert ("Subscription", "plan.taxes.inclusive") in read
    assert ("TransactionsList", "transactions[].amount_with_breakdown.gross_amount.value") in read
    assert ("Refund", "create_time") in read and ("CapturedPayment", "amount.currency_code") in read
    assert ("Refund", "links[].href") in read


# --- the fake answers in PayPal's shapes --------------------------------------------------


def test_the_fakes_subscriptions_are_paypals_shape_in_every_state(paypal, adapter):
    api = Api(paypal)
    created = full_subscription(paypal)
    pending = api.call(
        "POST",
        "/v1/billing/subscriptions",
        json={"plan_id": "P-GOLD", "subscriber": {"email_address": "sam@example.com"}},
    ).json()
    approve = next(link["href"] for link in pending["links"] if link["rel"] == "approve")
    requests.get(approve, timeout=5)
    suspended = post(paypal, "/_fake/subscriptions", id="I-SUSPENDED0001")
    for _ in range(3):
        post(paypal, f"/_fake/subscriptions/{suspended['id']}/renew", status="DECLINED")
    expired = post(paypal, "/_fake/subscriptions", id="I-EXPIRED00001")
    post(paypal, f"/_fake/subscriptions/{expired['id']}/expire")
    cancelled = post(paypal, "/_fake/subscriptions", id="I-CANCELLED0001")
    adapter.subscription_cancel(
        subscription_id=cancelled["id"], at_period_end=False, idempotency_key="k"
    )
    answers = {
        "created": pending,
        "full": api.subscription(created["id"]),
        "approved": api.subscription(pending["id"]),
        "suspended by PayPal": api.subscription(suspended["id"]),
        "expired": api.subscription(expired["id"]),
        "cancelled": api.subscription(cancelled["id"]),
        "demo": api.subscription("I-DEMOBLAIR0001"),
    }

    for name, answer in answers.items():
        assert undeclared("Subscription", answer) == [], name
        parsed = SdkSubscription.from_dictionary(answer)
        assert parsed.id == answer["id"], name
    assert [a["status"] for a in answers.values()] == [
        "APPROVAL_PENDING",
        "ACTIVE",
        "ACTIVE",
        "SUSPENDED",
        "EXPIRED",
        "CANCELLED",
        "ACTIVE",
    ]


def test_the_fakes_transactions_are_paypals_shape(paypal):
    api = Api(paypal)
    created = full_subscription(paypal)
    now = datetime.now(UTC)
    query = {
        "start_time": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    answer = api.call(
        "GET", f"/v1/billing/subscriptions/{created['id']}/transactions", params=query
    ).json()

    assert undeclared("TransactionsList", answer) == []
    parsed = SdkTransactionsList.from_dictionary(answer)
    assert [t.status for t in parsed.transactions] == ["COMPLETED", "FAILED", "COMPLETED"]
    paid = answer["transactions"][-1]["amount_with_breakdown"]
    # 2 x 10.00, 20 % tax on it, 3.00 shipping: PayPal's gross is all of it.
    assert (paid["gross_amount"]["value"], paid["tax_amount"]["value"]) == ("27.00", "4.00")


def test_the_fakes_errors_are_paypals_shape(paypal):
    api = Api(paypal)
    post(paypal, "/_fake/subscriptions", id="I-ERRORS000001", status="CANCELLED")
    not_found = api.call("GET", "/v1/billing/subscriptions/I-NOPE")
    refused = api.call(
        "POST", "/v1/billing/subscriptions/I-ERRORS000001/suspend", json={"reason": "x"}
    )
    malformed = api.call(
        "POST",
        "/v1/notifications/verify-webhook-signature",
        json={"webhook_id": "WH-1", "webhook_event": {}},
    )
    oauth = requests.post(
        f"{paypal}/v1/oauth2/token", auth=("id", "wrong-secret"), data="grant_type=x"
    )

    assert [r.status_code for r in (not_found, refused, malformed, oauth)] == [404, 422, 400, 401]
    for response in (not_found, refused, malformed):
        assert undeclared("SubscriptionError", response.json()) == []
    assert undeclared("OAuthError", oauth.json()) == []


def test_the_fakes_captures_and_refunds_are_paypals_shape(paypal):
    api = Api(paypal)
    created = full_subscription(paypal)
    sale_id = post(paypal, f"/_fake/subscriptions/{created['id']}/renew")["transaction"]["id"]
    capture = api.call("GET", f"/v2/payments/captures/{sale_id}").json()
    full = api.call(
        "POST",
        f"/v2/payments/captures/{sale_id}/refund",
        json={},
        headers={"Prefer": "return=representation"},
    )
    again = api.call("POST", f"/v2/payments/captures/{sale_id}/refund", json={})
    unknown = api.call("POST", "/v2/payments/captures/0NOPE/refund", json={})

    assert undeclared("CapturedPayment", capture) == []
    assert full.status_code == 201 and undeclared("Refund", full.json()) == []
    assert SdkRefund.from_dictionary(full.json()).status == "COMPLETED"
    assert (again.status_code, unknown.status_code) == (422, 404)
    assert again.json()["details"][0]["issue"] == "CAPTURE_FULLY_REFUNDED"
    for response in (again, unknown):
        assert undeclared("PaymentsError", response.json()) == []


def test_the_fakes_capture_refund_events_are_paypals_v2_refunds(paypal):
    """PAYMENT.CAPTURE.REFUNDED and .REVERSED carry a v2 refund (PayPal's
    sample events): the SDK's `Refund`, the same as GET /v2/payments/refunds."""
    api = Api(paypal)
    created = full_subscription(paypal)
    sale_id = post(paypal, f"/_fake/subscriptions/{created['id']}/renew")["transaction"]["id"]
    refunded = post(paypal, "/_fake/refunds", sale_id=sale_id, value="1.00", v2=True)
    reversed_ = post(
        paypal, "/_fake/refunds", sale_id=sale_id, value="1.00", v2=True, reversal=True
    )
    shown = api.call("GET", f"/v2/payments/refunds/{refunded['id']}")
    unknown = api.call("GET", "/v2/payments/refunds/0NOPE")

    assert shown.status_code == 200 and shown.json() == refunded
    for resource in (refunded, reversed_):
        assert undeclared("Refund", resource) == []
        parsed = SdkRefund.from_dictionary(resource)
        assert parsed.id == resource["id"] and parsed.amount.value == "1.00"
        assert [link.rel for link in parsed.links] == ["self", "up"]
    assert reversed_["note_to_payer"] == "Payment reversed"
    assert unknown.status_code == 404 and undeclared("PaymentsError", unknown.json()) == []


# --- what the SDK has no model for: PayPal's documented v1 sale and refund ---------------

# The members of PayPal's sample PAYMENT.SALE.* event resources (its webhook
# event samples; the v1 Payments API's sale and refund objects), plus
# `billing_agreement_id`, which a subscription's sale carries, and the v1
# refund's optional `reason`.
V1_SALE = {
    "id", "state", "amount", "payment_mode", "protection_eligibility",
    "protection_eligibility_type", "transaction_fee", "invoice_number", "custom",
    "parent_payment", "billing_agreement_id", "create_time", "update_time",
    "clearing_time", "links",
}  # fmt: skip
V1_REFUND = {
    "id", "state", "amount", "sale_id", "parent_payment", "reason", "create_time",
    "update_time", "links",
}  # fmt: skip
V1_AMOUNT = {"total", "currency", "details"}
# The v1 amount's `details` (PayPal's v1 payments reference: `details` object).
V1_DETAILS = {
    "subtotal", "tax", "shipping", "handling_fee", "shipping_discount", "insurance", "gift_wrap",
}  # fmt: skip
# A webhook event notification (PayPal's webhooks API reference: `event`).
EVENT = {
    "id", "create_time", "resource_type", "event_version", "event_type", "summary",
    "resource_version", "resource", "links",
}  # fmt: skip


def test_the_fakes_sale_and_refund_events_are_paypals_v1_objects(paypal):
    created = post(paypal, "/_fake/subscriptions")
    sale = post(paypal, f"/_fake/subscriptions/{created['id']}/renew")["sale"]
    refund = post(paypal, "/_fake/refunds", sale_id=sale["id"], value="1.00")
    reversal = post(paypal, "/_fake/refunds", sale_id=sale["id"], value="1.00", reversal=True)

    assert set(sale) <= V1_SALE and set(sale["amount"]) <= V1_AMOUNT
    for resource in (refund, reversal):
        assert set(resource) <= V1_REFUND and set(resource["amount"]) <= V1_AMOUNT
        assert resource["amount"]["total"].startswith("-")  # PayPal writes them negative
    event = json.loads(event_body("PAYMENT.SALE.COMPLETED", sale))
    assert set(event) <= EVENT
    assert set(OTHER_FIELDS_READ["event"]) <= EVENT
    for shape, paths in (("v1 sale", V1_SALE), ("v1 refund", V1_REFUND)):
        for path in OTHER_FIELDS_READ[shape]:
            head, _, rest = path.partition(".")
            detail = rest.removeprefix("details.")
            assert head in paths and (
                not rest or rest in V1_AMOUNT or (detail != rest and detail in V1_DETAILS)
            ), path
