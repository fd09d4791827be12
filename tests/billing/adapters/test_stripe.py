"""The Stripe adapter against a real (fake) Stripe: this run's localstripe,
patched where it differs from Stripe (tests/support/localstripe_patches.py).
Nothing here mocks the SDK; error cases use closed ports and a tiny local
server that answers 500."""

import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe

from billing.processors.adapters import stripe as stripe_adapter_module
from billing.processors.adapters.base import Address, Page, ProcessorError
from billing.processors.adapters.stripe import StripeAdapter
from billing.processors.rate_limits import AccountRateLimiter

KEY = "sk_test_adapter_tests"


def key() -> str:
    return f"test-{uuid.uuid4()}"


@pytest.fixture
def adapter(settings, localstripe):
    settings.STRIPE_API_BASE = localstripe
    return StripeAdapter(secret_key=KEY)


@pytest.fixture
def customer(adapter):
    return adapter.customer_create(email="alice@example.com", name="Alice", idempotency_key=key())


def start(adapter, customer_id, amount="19.99", currency="EUR", card="pm_card_visa", **kwargs):
    """A subscription at localstripe for `customer_id`, paid with `card`."""
    adapter.payment_method_attach_default(
        customer_id=customer_id, payment_method_id=card, idempotency_key=key()
    )
    price = adapter.price_create(
        product_name="Pro Membership",
        amount=Decimal(amount),
        currency=currency,
        idempotency_key=key(),
    )
    return adapter.subscription_create(
        customer_id=customer_id, price_id=price, idempotency_key=key(), **kwargs
    )


def confirm_setup_intent(base: str, setup_intent_id: str, payment_method: str):
    """What Stripe.js does in the browser, with the publishable key."""
    return requests.post(
        f"{base}/v1/setup_intents/{setup_intent_id}/confirm",
        data={"payment_method": payment_method, "key": "pk_test_adapter"},
        timeout=5,
    )


# --- customers ---------------------------------------------------------------------


def test_it_creates_reads_updates_and_clears_a_customer(adapter):
    created = adapter.customer_create(
        email="bob@example.com",
        name="Bob Brown",
        address=Address(line1="1 Main St", city="Springfield", postal_code="12345", country="US"),
        idempotency_key=key(),
    )
    assert created.id.startswith("cus_")
    assert (created.email, created.name) == ("bob@example.com", "Bob Brown")
    assert created.address == Address(
        line1="1 Main St", city="Springfield", postal_code="12345", country="US"
    )
    assert created.created is not None and created.livemode is False

    kept = adapter.customer_update(
        customer_id=created.id,
        name="Robert Brown",
        email="robert@example.com",
        address=None,
        idempotency_key=key(),
    )
    assert (kept.name, kept.email) == ("Robert Brown", "robert@example.com")
    assert kept.address is not None and kept.address.city == "Springfield"

    cleared = adapter.customer_update(
        customer_id=created.id,
        name="Robert Brown",
        email="robert@example.com",
        address=Address(),
        idempotency_key=key(),
    )
    assert cleared.address is None
    fetched = adapter.customer_get(customer_id=created.id)
    assert (fetched.name, fetched.email, fetched.address) == (
        "Robert Brown",
        "robert@example.com",
        None,
    )


def test_it_pages_through_customers(adapter):
    ours = {
        adapter.customer_create(email=f"page{i}@example.com", idempotency_key=key()).id
        for i in range(5)
    }
    seen: list[str] = []
    pages = 0
    cursor = ""
    while True:
        page = adapter.customer_list(cursor=cursor, limit=2)
        assert isinstance(page, Page) and len(page.items) <= 2
        seen.extend(c.id for c in page.items)
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert pages >= 3
    assert ours <= set(seen)
    assert len(seen) == len(set(seen))
    assert {c.id for c in adapter.iter_all(adapter.customer_list, limit=3)} == set(seen)


# --- cards ---------------------------------------------------------------------------


def test_it_attaches_a_card_as_the_customers_default(adapter, customer):
    card = adapter.payment_method_attach_default(
        customer_id=customer.id, payment_method_id="pm_card_visa", idempotency_key=key()
    )
    assert (card.brand, card.last4) == ("visa", "4242")
    assert card.exp_month and card.exp_year and card.payment_method_id.startswith("pm_")
    assert adapter.customer_get(customer_id=customer.id).default_payment_method_id == (
        card.payment_method_id
    )
    assert adapter.payment_method_card(payment_method_id=card.payment_method_id) == card


def test_it_makes_a_new_card_the_subscription_and_customer_default(adapter, customer):
    subscription = start(adapter, customer.id)
    assert subscription.card is not None and subscription.card.last4 == "4242"
    # The test card "pm_card_mastercard" is a new payment method each time it is used.
    card = adapter.default_payment_method_set(
        customer_id=customer.id,
        subscription_id=subscription.id,
        payment_method_id="pm_card_mastercard",
        idempotency_key=key(),
    )
    assert (card.brand, card.last4) == ("mastercard", "4444")
    assert card.payment_method_id.startswith("pm_")
    after = adapter.subscription_get(subscription_id=subscription.id)
    assert after.default_payment_method_id == card.payment_method_id
    assert after.card == card
    assert adapter.customer_get(customer_id=customer.id).default_payment_method_id == (
        card.payment_method_id
    )


def test_setup_intent_then_default_card_as_the_card_page_does(adapter, customer, localstripe):
    subscription = start(adapter, customer.id)
    intent = adapter.setup_intent_create(customer_id=customer.id, idempotency_key=key())
    assert intent.id.startswith("seti_") and intent.client_secret.startswith(intent.id)
    assert (intent.status, intent.customer_id) == ("requires_payment_method", customer.id)

    assert confirm_setup_intent(localstripe, intent.id, "pm_card_mastercard").status_code == 200
    confirmed = adapter.setup_intent_get(setup_intent_id=intent.id)
    assert (confirmed.status, confirmed.customer_id) == ("succeeded", customer.id)
    assert confirmed.payment_method_id.startswith("pm_") and confirmed.error_message == ""

    card = adapter.default_payment_method_set(
        customer_id=customer.id,
        subscription_id=subscription.id,
        payment_method_id=confirmed.payment_method_id,
        idempotency_key=key(),
    )
    assert (card.brand, card.last4, card.payment_method_id) == (
        "mastercard",
        "4444",
        confirmed.payment_method_id,
    )
    after = adapter.subscription_get(subscription_id=subscription.id)
    assert after.default_payment_method_id == confirmed.payment_method_id
    assert after.card is not None and after.card.last4 == "4444"
    assert (
        adapter.customer_get(customer_id=customer.id).default_payment_method_id
        == confirmed.payment_method_id
    )


def test_a_declined_setup_intent_reports_stripes_message(adapter, customer, localstripe):
    intent = adapter.setup_intent_create(customer_id=customer.id, idempotency_key=key())
    response = confirm_setup_intent(localstripe, intent.id, "pm_card_visa_chargeDeclined")
    assert response.status_code == 402
    assert response.json()["error"]["type"] == "card_error"
    failed = adapter.setup_intent_get(setup_intent_id=intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.error_message == "Your card was declined."
    assert failed.payment_method_id == ""


def confirm_like_stripe_js(base: str, intent, number: str):
    """What the fake Stripe.js's confirmCardSetup posts for a typed card."""
    card = {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
    return requests.post(
        f"{base}/v1/setup_intents/{intent.id}/confirm",
        json={
            "key": "pk_test_adapter",
            "use_stripe_sdk": True,
            "client_secret": intent.client_secret,
            "payment_method_data": {"type": "card", "card": card},
        },
        timeout=5,
    )


@pytest.mark.parametrize("passes", [True, False])
def test_a_3d_secure_card_setup_as_the_fake_stripe_js_runs_it(
    adapter, customer, localstripe, passes
):
    intent = adapter.setup_intent_create(customer_id=customer.id, idempotency_key=key())
    assert confirm_like_stripe_js(localstripe, intent, "4000002500003155").json()["status"] == (
        "requires_action"
    )
    assert adapter.setup_intent_get(setup_intent_id=intent.id).status == "requires_action"
    # The fake's 3-D Secure dialog: "Complete authentication" confirms again,
    # "Fail authentication" calls cancel.
    step = "confirm" if passes else "cancel"
    response = requests.post(
        f"{localstripe}/v1/setup_intents/{intent.id}/{step}",
        json={
            "key": "pk_test_adapter",
            "use_stripe_sdk": True,
            "client_secret": intent.client_secret,
        },
        timeout=5,
    )
    assert response.status_code == 200
    after = adapter.setup_intent_get(setup_intent_id=intent.id)
    if passes:
        assert (after.status, after.error_message) == ("succeeded", "")
        card = adapter.payment_method_card(payment_method_id=after.payment_method_id)
        assert (card.brand, card.last4) == ("visa", "3155")
    else:
        assert after.status == "requires_payment_method"
        assert "authentication failed" in after.error_message
        assert after.payment_method_id == ""


def test_it_refuses_a_card_of_another_customer(adapter, customer):
    other = adapter.customer_create(email="mallory@example.com", idempotency_key=key())
    theirs = adapter.payment_method_attach_default(
        customer_id=other.id, payment_method_id="pm_card_visa", idempotency_key=key()
    )
    subscription = start(adapter, customer.id)
    with pytest.raises(ProcessorError) as caught:
        adapter.default_payment_method_set(
            customer_id=customer.id,
            subscription_id=subscription.id,
            payment_method_id=theirs.payment_method_id,
            idempotency_key=key(),
        )
    assert caught.value.code == "refused"
    assert adapter.subscription_get(subscription_id=subscription.id).card.last4 == "4242"


# --- subscriptions -----------------------------------------------------------------------


def test_it_starts_and_reads_a_subscription_in_our_vocabulary(adapter, customer):
    subscription = start(adapter, customer.id, amount="19.99", currency="EUR")
    assert subscription.id.startswith("sub_")
    assert subscription.status == "active"
    assert subscription.customer_id == customer.id
    assert subscription.product == "Pro Membership"
    assert (subscription.amount, subscription.currency) == (Decimal("19.99"), "EUR")
    assert (subscription.interval, subscription.interval_count) == ("month", 1)
    assert subscription.price_id
    now = datetime.now(UTC)
    assert subscription.current_period_end > now + timedelta(days=27)
    assert subscription.next_payment_at == subscription.current_period_end
    assert subscription.cancel_at_period_end is False and subscription.canceled_at is None
    assert subscription.card is not None and subscription.card.last4 == "4242"
    assert subscription.latest_invoice_id.startswith("in_")
    assert adapter.subscription_get(subscription_id=subscription.id) == subscription


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("500", "JPY"), ("19.99", "EUR"), ("1.234", "KWD")],
)
def test_amounts_round_trip_in_the_currencys_minor_units(adapter, customer, amount, currency):
    subscription = start(adapter, customer.id, amount=amount, currency=currency)
    assert subscription.amount == Decimal(amount)
    assert subscription.currency == currency
    invoice = adapter.invoice_get(invoice_id=subscription.latest_invoice_id)
    assert (invoice.total, invoice.amount_paid, invoice.currency) == (
        Decimal(amount),
        Decimal(amount),
        currency,
    )


def test_it_refuses_a_price_more_precise_than_its_currency(adapter):
    with pytest.raises(ProcessorError) as caught:
        adapter.price_create(
            product_name="Odd", amount=Decimal("5.5"), currency="JPY", idempotency_key=key()
        )
    assert caught.value.code == "invalid"


def test_a_trial_shows_when_the_first_payment_happens(adapter, customer):
    trial_end = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
    subscription = start(adapter, customer.id, trial_end=trial_end)
    assert subscription.status == "trialing"
    assert subscription.trial_end == trial_end
    assert subscription.next_payment_at == trial_end


def test_cancel_at_period_end_and_undo(adapter, customer):
    subscription = start(adapter, customer.id)
    pending = adapter.subscription_cancel(
        subscription_id=subscription.id,
        at_period_end=True,
        reason="Too expensive",
        idempotency_key=key(),
    )
    assert pending.status == "active"
    assert pending.cancel_at_period_end is True
    assert pending.next_payment_at is None
    assert pending.current_period_end == subscription.current_period_end
    assert pending.canceled_at is not None

    kept = adapter.subscription_cancel_undo(subscription_id=subscription.id, idempotency_key=key())
    assert kept.status == "active"
    assert kept.cancel_at_period_end is False
    assert kept.next_payment_at == subscription.current_period_end
    assert kept.canceled_at is None

    final = adapter.subscription_finalize_period_end(
        subscription_id=subscription.id, idempotency_key=key()
    )
    assert final == adapter.subscription_get(subscription_id=subscription.id)


def test_cancel_now(adapter, customer):
    subscription = start(adapter, customer.id)
    before = datetime.now(UTC).replace(microsecond=0)
    canceled = adapter.subscription_cancel(
        subscription_id=subscription.id, at_period_end=False, reason="", idempotency_key=key()
    )
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None and canceled.canceled_at >= before
    assert canceled.next_payment_at is None
    assert adapter.subscription_get(subscription_id=subscription.id).status == "canceled"


def test_it_lists_subscriptions_of_every_status_page_by_page(adapter, customer):
    ids = {start(adapter, customer.id).id for _ in range(3)}
    ended = sorted(ids)[0]
    adapter.subscription_cancel(subscription_id=ended, at_period_end=False, idempotency_key=key())
    first = adapter.subscription_list(customer_id=customer.id, limit=2)
    assert len(first.items) == 2 and first.next_cursor
    second = adapter.subscription_list(customer_id=customer.id, cursor=first.next_cursor, limit=2)
    assert len(second.items) == 1 and second.next_cursor == ""
    listed = {s.id: s for s in first.items + second.items}
    assert set(listed) == ids
    assert listed[ended].status == "canceled"
    assert all(s.card and s.card.last4 == "4242" for s in listed.values())
    assert all(s.amount == Decimal("19.99") and s.product for s in listed.values())


# --- invoices and charges ---------------------------------------------------------------------


def test_it_reads_invoices_and_charges_with_refunds(adapter, customer, localstripe):
    subscription = start(adapter, customer.id, amount="29.00", currency="USD")
    start(adapter, customer.id, amount="10.00", currency="USD")

    invoice = adapter.invoice_get(invoice_id=subscription.latest_invoice_id)
    assert invoice.status == "paid"
    assert (invoice.customer_id, invoice.subscription_id) == (customer.id, subscription.id)
    assert (invoice.total, invoice.amount_due, invoice.tax) == (
        Decimal("29.00"),
        Decimal("29.00"),
        Decimal("0.00"),
    )
    assert invoice.paid_at is not None and invoice.created is not None
    assert [line.amount for line in invoice.lines] == [Decimal("29.00")]
    assert invoice.lines[0].quantity == 1

    by_subscription = adapter.invoice_list(subscription_id=subscription.id)
    assert [i.id for i in by_subscription.items] == [invoice.id]
    by_customer = list(adapter.iter_all(adapter.invoice_list, customer_id=customer.id, limit=1))
    assert len(by_customer) == 2

    charges = list(adapter.iter_all(adapter.charge_list, customer_id=customer.id, limit=1))
    assert sorted(c.amount for c in charges) == [Decimal("10.00"), Decimal("29.00")]
    charge = next(c for c in charges if c.amount == Decimal("29.00"))
    assert (charge.status, charge.currency, charge.customer_id) == ("succeeded", "USD", customer.id)

    # A partial refund, as the vendor would make it in Stripe's dashboard.
    stripe.StripeClient(KEY, base_addresses={"api": localstripe}).v1.refunds.create(
        params={"charge": charge.id, "amount": 500}
    )
    refunded = adapter.charge_get(charge_id=charge.id)
    assert refunded.amount_refunded == Decimal("5.00")
    assert [(r.amount, r.currency, r.status) for r in refunded.refunds] == [
        (Decimal("5.00"), "USD", "succeeded")
    ]


class CountingLimiter(AccountRateLimiter):
    """The account's real token bucket, counting the tokens taken: one per
    request the adapter sends."""

    def __init__(self) -> None:
        super().__init__(processor="stripe", account=uuid.uuid4().hex, rate=1000)
        self.taken = 0

    def take(self, *, max_wait: float | None = None) -> float:
        self.taken += 1
        return super().take(max_wait=max_wait)


def long_invoice(adapter, localstripe: str, customer_id: str, count: int) -> str:
    """A draft invoice of a subscription's next period and `count` one-off
    items added to it, as a vendor does in Stripe's dashboard: its id."""
    start(adapter, customer_id, amount="5.00")
    client = stripe.StripeClient(KEY, base_addresses={"api": localstripe})
    for number in range(1, count + 1):
        client.v1.invoice_items.create(
            params={
                "customer": customer_id,
                "amount": 100 * number,
                "currency": "eur",
                "description": f"Seat {number}",
            }
        )
    return client.v1.invoices.create(params={"customer": customer_id}).id


@pytest.mark.parametrize(("page", "reads"), [(100, 2), (1, 4)])
def test_it_reads_every_line_of_a_long_invoice_page_by_page(
    adapter, localstripe, customer, monkeypatch, page, reads
):
    """Stripe embeds an invoice's first 10 lines; the others come from its
    lines list, each page a read through the account's rate limiter."""
    invoice_id = long_invoice(adapter, localstripe, customer.id, 12)
    monkeypatch.setattr(stripe_adapter_module, "INVOICE_LINES_PAGE", page)
    limiter = CountingLimiter()
    limited = StripeAdapter(secret_key=KEY, limiter=limiter)

    invoice = limited.invoice_get(invoice_id=invoice_id)

    seats = [line.description for line in invoice.lines if line.description.startswith("Seat")]
    assert sorted(seats) == sorted(f"Seat {number}" for number in range(1, 13))
    assert len(invoice.lines) == 13  # the subscription's period and the 12 seats
    assert sum(line.amount for line in invoice.lines) == Decimal("83.00") == invoice.subtotal
    # The invoice, then one page of its last three lines (or one page each).
    assert limiter.taken == reads


def test_a_short_invoice_costs_no_extra_read(adapter, localstripe, customer):
    invoice_id = long_invoice(adapter, localstripe, customer.id, 9)
    limiter = CountingLimiter()
    invoice = StripeAdapter(secret_key=KEY, limiter=limiter).invoice_get(invoice_id=invoice_id)
    assert len(invoice.lines) == 10
    assert limiter.taken == 1


def test_it_retries_an_open_invoice_with_a_new_card(adapter, customer):
    # This card attaches but every charge to it is declined.
    subscription = start(adapter, customer.id, card="pm_card_chargeCustomerFail")
    assert subscription.status == "incomplete"
    open_invoice = adapter.invoice_open_for_subscription(subscription_id=subscription.id)
    assert open_invoice is not None and open_invoice.status == "open"
    assert open_invoice.id == subscription.latest_invoice_id

    with pytest.raises(ProcessorError) as caught:
        adapter.invoice_pay(
            invoice_id=open_invoice.id,
            payment_method_id=subscription.default_payment_method_id
            or adapter.customer_get(customer_id=customer.id).default_payment_method_id,
            idempotency_key=key(),
        )
    assert caught.value.code == "card_declined" and not caught.value.retryable
    assert caught.value.message == "Your card was declined."

    strong = adapter.payment_method_attach_default(
        customer_id=customer.id,
        payment_method_id="pm_card_authenticationRequired",
        idempotency_key=key(),
    )
    with pytest.raises(ProcessorError) as authentication:
        adapter.invoice_pay(
            invoice_id=open_invoice.id,
            payment_method_id=strong.payment_method_id,
            idempotency_key=key(),
        )
    assert authentication.value.code == "authentication_required"
    assert not authentication.value.retryable

    card = adapter.default_payment_method_set(
        customer_id=customer.id,
        subscription_id=subscription.id,
        payment_method_id="pm_card_visa",
        idempotency_key=key(),
    )
    paid = adapter.invoice_pay(
        invoice_id=open_invoice.id,
        payment_method_id=card.payment_method_id,
        idempotency_key=key(),
    )
    assert paid.status == "paid" and paid.amount_paid == Decimal("19.99")
    assert adapter.subscription_get(subscription_id=subscription.id).status == "active"
    assert adapter.invoice_open_for_subscription(subscription_id=subscription.id) is None

    with pytest.raises(ProcessorError) as again:
        adapter.invoice_pay(
            invoice_id=open_invoice.id,
            payment_method_id=card.payment_method_id,
            idempotency_key=key(),
        )
    assert again.value.code == "refused" and not again.value.retryable


# --- errors -------------------------------------------------------------------------------------


def assert_safe(error: ProcessorError) -> None:
    """Nothing secret or SDK-specific in what a customer or a log sees."""
    for text in (error.message, error.detail, str(error)):
        assert KEY not in text and "sk_" not in text
    assert "stripe" not in error.message.lower()


def test_an_unknown_id_is_not_found(adapter):
    for call in (
        lambda: adapter.subscription_get(subscription_id="sub_doesnotexist"),
        lambda: adapter.customer_get(customer_id="cus_doesnotexist"),
        lambda: adapter.invoice_get(invoice_id="in_doesnotexist"),
    ):
        with pytest.raises(ProcessorError) as caught:
            call()
        assert caught.value.code == "not_found"
        assert caught.value.retryable is False
        assert "status=404" in caught.value.detail
        assert_safe(caught.value)


def test_a_declined_card_says_so_in_stripes_words(adapter, customer):
    with pytest.raises(ProcessorError) as caught:
        adapter.payment_method_attach_default(
            customer_id=customer.id,
            payment_method_id="pm_card_visa_chargeDeclined",
            idempotency_key=key(),
        )
    assert caught.value.code == "card_declined"
    assert caught.value.retryable is False
    assert caught.value.message == "Your card was declined."
    assert "code=card_declined" in caught.value.detail
    assert_safe(caught.value)


def test_a_bad_key_is_not_connected(settings, localstripe):
    # localstripe accepts any key that starts with "sk_"; anything else is a 401,
    # as Stripe answers for a revoked or mistyped key.
    settings.STRIPE_API_BASE = localstripe
    adapter = StripeAdapter(secret_key="not-a-stripe-key")
    with pytest.raises(ProcessorError) as caught:
        adapter.customer_list()
    assert caught.value.code == "not_connected"
    assert caught.value.retryable is False
    assert "not-a-stripe-key" not in caught.value.detail


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_network_failure_is_retryable_and_quick(settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    adapter = StripeAdapter(secret_key=KEY)
    with pytest.raises(ProcessorError) as caught:
        adapter.subscription_get(subscription_id="sub_123")
    assert caught.value.code == "network"
    assert caught.value.retryable is True
    assert_safe(caught.value)


class Answers500(BaseHTTPRequestHandler):
    hits = 0

    def answer(self) -> None:
        type(self).hits += 1
        body = b'{"error": {"type": "api_error", "message": "Something went wrong."}}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def failing_stripe():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers500)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_error_is_retryable(settings, failing_stripe):
    settings.STRIPE_API_BASE = failing_stripe
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    adapter = StripeAdapter(secret_key=KEY)
    with pytest.raises(ProcessorError) as caught:
        adapter.subscription_cancel(
            subscription_id="sub_123", at_period_end=True, idempotency_key=key()
        )
    assert caught.value.code == "unavailable"
    assert caught.value.retryable is True
    assert "status=500" in caught.value.detail
    assert Answers500.hits >= 1
    assert_safe(caught.value)
