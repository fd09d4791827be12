"""The withdrawal function /<account>/updateinfo/withdraw/ (EU Art. 11a CRD):
two steps without sign-in, the acknowledgement on screen and by email, the
vendor notified, the history's link while in period, and the admin action
that refunds in full (localstripe) and ends the subscription now."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.core import mail
from django.test import Client
from django.utils import timezone

from billing.models import AuditEvent, Refund
from billing.processors.adapters import adapter_for
from billing.processors.adapters.base import ProcessorError
from rights.models import WithdrawalDeclaration
from rights.withdrawals import withdrawal_refund
from tests.conftest import sign_in
from tests.factories import OrderFactory, PaymentFactory
from tests.support.processor_fixtures import (
    paypal_calls,
    paypal_subscription,
    stripe_subscription,
)

PAGE = "/northwind/updateinfo/withdraw/"
UA = "TestBrowser/3.0"


@pytest.fixture
def eu_vendor(vendor):
    vendor.country = "DE"
    vendor.timezone = "Europe/Berlin"
    vendor.save()
    return vendor


def fields(**values):
    data = {"name": "Alice Adams", "email": "alice@example.com", "order_number": "ORD-9001"}
    data.update(values)
    return data


def test_the_period_defaults_by_country(vendor):
    assert vendor.withdrawal_period_days == 0  # no country: off
    vendor.country = "FR"
    assert vendor.withdrawal_period_days == 14
    vendor.country = "NO"  # EEA
    assert vendor.withdrawal_period_days == 14
    vendor.country = "US"
    assert vendor.withdrawal_period_days == 0
    vendor.withdrawal_days = 30
    assert vendor.withdrawal_period_days == 30


def test_without_a_period_the_page_points_to_the_cancellation_page(client, vendor):
    html = client.get(PAGE).content.decode()
    assert "offers no withdrawal period" in html
    assert 'href="/northwind/updateinfo/cancel/"' in html
    assert 'name="order_number"' not in html
    assert (
        "Withdraw from contract here" not in client.get("/northwind/updateinfo/").content.decode()
    )


def test_two_steps_then_the_acknowledgement_on_screen_and_by_email(
    client, eu_vendor, alice, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    OrderFactory(customer=alice, number="ORD-9001", created_at=timezone.now() - timedelta(days=3))
    with django_assert_max_num_queries(2):
        first = client.get(PAGE)
    assert ">Withdraw from contract here</h1>" in first.content.decode()
    step_two = client.post(PAGE, fields())
    html = step_two.content.decode()
    assert ">Confirm withdrawal</button>" in html and "ORD-9001" in html
    assert not WithdrawalDeclaration.objects.exists()  # nothing declared yet
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(PAGE, fields(step="confirm"), HTTP_USER_AGENT=UA)
    assert done.status_code == 303
    declaration = WithdrawalDeclaration.objects.get()
    assert declaration.ip == "127.0.0.1" and declaration.user_agent == UA
    assert declaration.status == "open" and declaration.in_period is True
    assert declaration.order.number == "ORD-9001"
    page = client.get(done["Location"]).content.decode()
    assert "Your withdrawal was received" in page and "(Europe/Berlin)" in page
    assert re.search(r"\d{1,2}:\d{2}:\d{2}", page)
    [ack] = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert "ORD-9001" in ack.body and "(Europe/Berlin)" in ack.body
    [notice] = [m for m in mail.outbox if m.to == ["help@nw.example"]]
    assert "within its withdrawal period" in notice.body


def test_the_acknowledgement_is_the_same_for_customers_and_strangers(
    client, eu_vendor, alice, frozen_clock, django_capture_on_commit_callbacks
):
    OrderFactory(customer=alice, number="ORD-9001", created_at=timezone.now())
    pages = []
    for email, number in [("alice@example.com", "ORD-9001"), ("nobody@example.com", "ORD-4")]:
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(PAGE, fields(email=email, order_number=number, step="confirm"))
        html = client.get(done["Location"]).content.decode()
        html = re.sub(r'nonce="[^"]+"', "", html)
        pages.append(html.replace(email, "EMAIL").replace(number, "ORD"))
    assert pages[0] == pages[1]


def test_bad_input_is_answered_with_the_form_and_nothing_is_stored(client, eu_vendor):
    for bad in [{"name": ""}, {"email": "x"}, {"order_number": ""}, {"name": "A\x00"}]:
        for step in ("", "confirm"):
            response = client.post(PAGE, fields(step=step, **bad))
            assert response.status_code == 200
            assert "Error:" in response.content.decode()
    assert not WithdrawalDeclaration.objects.exists()


def test_it_needs_the_csrf_token_and_is_rate_limited(client, eu_vendor, settings):
    assert Client(enforce_csrf_checks=True).post(PAGE, fields(step="confirm")).status_code == 403
    settings.HUB_CANCEL_RATE_PER_EMAIL = (1, 3600)
    assert client.post(PAGE, fields(step="confirm")).status_code == 303
    assert client.post(PAGE, fields(step="confirm")).status_code == 429
    assert WithdrawalDeclaration.objects.count() == 1


def test_the_acknowledgement_is_found_only_at_its_vendor(client, eu_vendor, other_vendor):
    location = client.post(PAGE, fields(step="confirm"))["Location"]
    assert client.get(location).status_code == 200
    assert client.get(location.replace("northwind", "acme")).status_code == 404


def test_a_signed_in_customer_is_told_when_the_period_is_over(client, eu_vendor, alice):
    OrderFactory(customer=alice, number="ORD-OLD", created_at=timezone.now() - timedelta(days=20))
    sign_in(client, alice)
    html = client.get(f"{PAGE}?order=ORD-OLD").content.decode()
    assert "withdrawal period of order ORD-OLD (14 days from the purchase) is over" in html
    assert 'value="Alice Adams"' in html


def test_the_history_shows_the_link_beside_orders_in_period(client, eu_vendor, alice, bob):
    recent = PaymentFactory(
        order=OrderFactory(customer=alice, number="ORD-NEW", created_at=timezone.now())
    )
    PaymentFactory(
        order=OrderFactory(
            customer=alice, number="ORD-OLD", created_at=timezone.now() - timedelta(days=20)
        )
    )
    PaymentFactory(
        order=OrderFactory(
            customer=alice, number="ORD-WAIVED", created_at=timezone.now(), withdrawal_waived=True
        )
    )
    sign_in(client, alice)
    html = client.get("/northwind/updateinfo/purchases/").content.decode()
    assert html.count("Withdraw from contract here</a>") == 2  # the row and the footer
    assert '/northwind/updateinfo/withdraw/?order=ORD-NEW">' in html
    assert "?order=ORD-OLD" not in html and "?order=ORD-WAIVED" not in html
    assert recent.order.number == "ORD-NEW"


def test_staff_refund_in_full_and_end_the_subscription_now(
    stripe_vendor, alice, northwind_staff, django_capture_on_commit_callbacks
):
    sub = stripe_subscription(alice, product="Pro Membership")
    adapter = adapter_for(vendor=stripe_vendor, processor="stripe")
    invoice = adapter.invoice_list(subscription_id=sub.processor_id).items[0]
    order = OrderFactory(customer=alice, number="ORD-9001", subscription=sub)
    payment = PaymentFactory(order=order, amount=Decimal("29.00"), processor_ref=invoice.charge_id)
    declaration = WithdrawalDeclaration.objects.create(
        vendor=stripe_vendor,
        created_at=timezone.now(),
        name="Alice Adams",
        email="alice@example.com",
        order_number="ORD-9001",
        order=order,
        status="open",
        token_hash="t1",
    )
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal_refund(declaration=declaration, user=northwind_staff)
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("29.00") and payment.status == "refunded"
    assert adapter.charge_get(charge_id=invoice.charge_id).amount_refunded == Decimal("29.00")
    sub.refresh_from_db()
    assert sub.status == "canceled"
    event = AuditEvent.objects.get(action="order.withdrawn")
    assert event.user == northwind_staff and event.details["refunded"] == "29.00"
    declaration.refresh_from_db()
    assert declaration.status == "done"


def test_staff_refund_a_paypal_order_in_full_and_end_the_subscription_now(
    paypal_vendor, paypal_api, alice, northwind_staff, django_capture_on_commit_callbacks
):
    sub = paypal_subscription(alice, paypal_api)
    renewal = requests.post(
        f"{paypal_api}/_fake/subscriptions/{sub.processor_id}/renew", json={}, timeout=5
    ).json()
    sale_id = renewal["transaction"]["id"]
    order = OrderFactory(
        customer=alice, number="ORD-9002", subscription=sub, processor="paypal", currency="USD"
    )
    payment = PaymentFactory(order=order, amount=Decimal("9.00"), processor_ref=sale_id)
    declaration = WithdrawalDeclaration.objects.create(
        vendor=paypal_vendor,
        created_at=timezone.now(),
        name="Alice Adams",
        email="alice@example.com",
        order_number="ORD-9002",
        order=order,
        status="open",
        token_hash="t2",
    )
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal_refund(declaration=declaration, user=northwind_staff)
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("9.00") and payment.status == "refunded"
    refund_calls = [call for call in paypal_calls(paypal_api) if call["path"].endswith("/refund")]
    assert [(c["path"], c["json"], c["status"]) for c in refund_calls] == [
        (f"/v2/payments/captures/{sale_id}/refund", {}, 201)
    ]
    assert refund_calls[0]["request_id"].startswith(f"hub-withdrawal-{declaration.pk}-")
    # Recorded once, with PayPal's refund id: its PAYMENT.SALE.REFUNDED event
    # (same id) adds nothing.
    (recorded,) = Refund.objects.filter(payment=payment)
    assert recorded.amount == Decimal("9.00") and recorded.reason == "withdrawal"
    adapter = adapter_for(vendor=paypal_vendor, processor="paypal")
    assert adapter.refund_of_event(resource={"id": recorded.processor_ref})["sale_id"] == sale_id
    sub.refresh_from_db()
    assert sub.status == "canceled"
    remote = adapter.subscription_get(subscription_id=sub.processor_id)
    assert remote.status == "canceled"
    event = AuditEvent.objects.get(action="order.withdrawn")
    assert event.user == northwind_staff and event.details["refunded"] == "9.00"
    declaration.refresh_from_db()
    assert declaration.status == "done"


def test_a_refused_paypal_refund_leaves_the_withdrawal_open(
    paypal_vendor, paypal_api, alice, northwind_staff
):
    sub = paypal_subscription(alice, paypal_api)
    order = OrderFactory(customer=alice, number="ORD-9003", subscription=sub, processor="paypal")
    PaymentFactory(order=order, amount=Decimal("9.00"), processor_ref="0UNKNOWNSALE0001")
    declaration = WithdrawalDeclaration.objects.create(
        vendor=paypal_vendor, created_at=timezone.now(), name="Alice Adams",
        email="alice@example.com", order_number="ORD-9003", order=order, status="open",
        token_hash="t3",
    )  # fmt: skip
    with pytest.raises(ProcessorError) as error:
        withdrawal_refund(declaration=declaration, user=northwind_staff)
    assert error.value.code == "not_found"
    declaration.refresh_from_db()
    sub.refresh_from_db()
    assert declaration.status == "open" and sub.status == "active"
    assert not AuditEvent.objects.filter(action="order.withdrawn").exists()


def test_the_admin_lists_withdrawals_of_its_vendor_only(
    client, vendor, other_vendor, acme_staff, northwind_staff
):
    WithdrawalDeclaration.objects.create(
        vendor=vendor, created_at=timezone.now(), name="Northwind Person",
        email="a@example.com", order_number="1", status="open", token_hash="a",
    )  # fmt: skip
    client.force_login(acme_staff)
    assert (
        "Northwind Person"
        not in client.get("/admin/rights/withdrawaldeclaration/").content.decode()
    )
    client.force_login(northwind_staff)
    assert "Northwind Person" in client.get("/admin/rights/withdrawaldeclaration/").content.decode()


def test_staff_record_a_waiver_and_the_order_leaves_the_period(
    staff_client, eu_vendor, alice, acme_staff
):
    order = OrderFactory(customer=alice, number="ORD-W", created_at=timezone.now())
    from rights.withdrawals import order_in_withdrawal_period

    assert order_in_withdrawal_period(order=order, vendor=eu_vendor)
    action = {"action": "record_withdrawal_waived", "_selected_action": [order.pk]}
    other = Client()
    other.force_login(acme_staff)
    other.post("/admin/billing/order/", action)
    order.refresh_from_db()
    assert not order.withdrawal_waived  # another vendor's staff: nothing
    staff_client.post("/admin/billing/order/", action)
    order.refresh_from_db()
    assert order.withdrawal_waived
    assert not order_in_withdrawal_period(order=order, vendor=eu_vendor)
    assert AuditEvent.objects.get(action="order.withdrawal_waived").details == {"order": "ORD-W"}


def test_a_signed_in_customer_reads_both_confirmations_in_their_language(
    client, eu_vendor, alice, django_capture_on_commit_callbacks
):
    # The forms speak the customer's chosen language; the confirmations after
    # them did not (the browser's or the vendor's instead).
    eu_vendor.languages = ["en", "de"]
    eu_vendor.save()
    alice.language = "de"
    alice.save()
    sign_in(client, alice)
    OrderFactory(customer=alice, number="ORD-9001", created_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(PAGE, fields(step="confirm"), HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(done["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ihr Widerruf ist eingegangen" in page and '<html lang="de"' in page
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/northwind/updateinfo/cancel/",
            {
                "kind": "ordinary",
                "name": "Alice",
                "email": "alice@example.com",
                "contract": "",
                "order_number": "ORD-9001",
                "when": "asap",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert done.status_code == 303, done.content.decode()[:2000]
    page = client.get(done["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ihre Kündigung ist eingegangen" in page and '<html lang="de"' in page
