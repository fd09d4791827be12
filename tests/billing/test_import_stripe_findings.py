"""What an import of a realistic account found (issue 29, point 4), against
localstripe speaking API 2026-10-28: subscription payments are
InvoicePayments and are imported once; products by name; failed renewals
imported; case-differing emails reported; Ctrl-C, a finished run, a bad
key and an unreachable Stripe each end with a message for the operator."""

import io
import os
import signal
import time
from decimal import Decimal

import pytest
import requests
from django.core.management import CommandError, call_command

from billing.cards import card_setup_start, card_update_complete
from billing.models import Customer, Order, Payment, StripeImport, Subscription
from billing.processors import stripe_import
from tests.billing.test_import_stripe import AUTH, post
from tests.conftest import sign_in
from tests.support.processor_fixtures import stripe_confirm_setup_intent


def reset(base):
    requests.delete(f"{base}/_config/data", timeout=10).raise_for_status()


def customer_with_card(base, email, card="pm_card_visa"):
    customer = post(base, "/v1/customers", email=email, name=email.split("@")[0].title())
    method = post(base, f"/v1/payment_methods/{card}/attach", customer=customer["id"])
    post(base, f"/v1/customers/{customer['id']}",
         **{"invoice_settings[default_payment_method]": method["id"]})  # fmt: skip
    return customer["id"]


def subscribe(base, customer_id, *, amount=1900, product="Pro Membership", nickname="pro-m-v2"):
    plan = post(base, "/v1/plans", amount=amount, currency="usd", interval="month",
                nickname=nickname, **{"product[name]": product})  # fmt: skip
    return post(base, "/v1/subscriptions", customer=customer_id, **{"items[0][plan]": plan["id"]})


def renew(base, customer_id, subscription_id, count):
    post(base, "/_test/paid_invoices", customer=customer_id, subscription=subscription_id,
         count=count)  # fmt: skip


def run_command(*args):
    out = io.StringIO()
    call_command("import_stripe", "northwind", *args, stdout=out)
    return out.getvalue()


def test_subscription_payments_are_imported_once_by_name_with_every_refund(
    stripe_vendor, localstripe
):
    """Every renewal is an InvoicePayment (no charge.invoice, no
    invoice.charge): each is one payment of the subscription, none a
    one-time "Purchase"; the product's name, not the plan's nickname."""
    reset(localstripe)
    pat = customer_with_card(localstripe, "pat@example.com")
    subscription = subscribe(localstripe, pat)
    renew(localstripe, pat, subscription["id"], 3)
    one_time = post(localstripe, "/v1/charges", customer=pat, amount=5000, currency="usd")
    post(localstripe, "/v1/refunds", charge=one_time["id"], amount=1000)
    renewal_charges = [
        c["id"]
        for c in requests.get(f"{localstripe}/v1/charges?limit=100", auth=AUTH, timeout=10).json()[
            "data"
        ]
        if c["id"] != one_time["id"]
    ]
    post(localstripe, "/v1/refunds", charge=renewal_charges[0], amount=500)

    output = run_command()

    ours = Subscription.objects.get(processor_id=subscription["id"])
    assert ours.product == "Pro Membership"
    payments = Payment.objects.filter(customer__email="pat@example.com")
    assert payments.count() == 4 + 1
    assert payments.filter(subscription=ours).count() == 4
    assert set(payments.filter(subscription=ours).values_list("processor_ref", flat=True)) == set(
        renewal_charges
    )
    assert list(Order.objects.filter(subscription=ours).values_list("product", flat=True)) == [
        "Pro Membership"
    ]
    assert Order.objects.filter(product="Purchase").count() == 1  # the one-time charge only
    refunded = Payment.objects.get(processor_ref=renewal_charges[0])
    assert (refunded.subscription, refunded.amount_refunded) == (ours, Decimal("5.00"))
    assert "refunds: 2 created" in output  # the renewal's and the one-time charge's
    assert "invoices: 4 created" in output

    again = run_command()
    assert "0 changes." in again and "refunds: 0 created" in again
    assert Payment.objects.count() == 5


def test_a_failed_renewal_is_imported_so_the_hub_shows_it(
    stripe_vendor, localstripe, alice, client
):
    reset(localstripe)
    customer = customer_with_card(localstripe, alice.email)
    subscription = subscribe(localstripe, customer)
    failing = post(localstripe, "/v1/payment_methods/pm_card_chargeCustomerFail/attach",
                   customer=customer)  # fmt: skip
    post(localstripe, f"/v1/customers/{customer}",
         **{"invoice_settings[default_payment_method]": failing["id"]})  # fmt: skip
    # The fake stamps whole seconds: the renewal must come after the first
    # payment, as it does a month later at Stripe.
    time.sleep(1.1)
    renew(localstripe, customer, subscription["id"], 1)

    output = run_command()

    ours = Subscription.objects.get(processor_id=subscription["id"])
    assert ours.customer == alice and ours.status == "past_due"
    failed = Payment.objects.get(customer=alice, status="failed")
    assert failed.subscription == ours and failed.failure_message
    assert failed.failure_notice_sent_at is not None  # history: no notice now
    assert Payment.objects.filter(customer=alice, status="paid").count() == 1
    assert "invoices: 2 created" in output
    sign_in(client, alice)
    html = client.get("/northwind/updateinfo/subscriptions/").content.decode()
    assert "A payment failed" in html


def test_emails_differing_only_in_case_are_merged_reachable_and_reported(
    stripe_vendor, localstripe, client
):
    """Two Stripe customers, Sam@Example.com and sam@example.com: one person
    to us (emails are stored lowercase), so one customer who signs in once
    and sees, and can change the card of, both subscriptions."""
    reset(localstripe)
    first = customer_with_card(localstripe, "sam@example.com")
    second = customer_with_card(localstripe, "Sam@Example.com")
    subscribe(localstripe, first, product="Course A", nickname="a")
    theirs = subscribe(localstripe, second, product="Course B", nickname="b")

    output = run_command()

    sam = Customer.objects.get(vendor=stripe_vendor)
    assert (sam.email, sam.stripe_customer_id) == ("sam@example.com", first)
    assert sorted(sam.subscriptions.values_list("product", flat=True)) == ["Course A", "Course B"]
    merged = sam.subscriptions.get(processor_id=theirs["id"])
    assert merged.processor_customer_id == second
    assert Payment.objects.filter(customer=sam).count() == 2
    assert "customers: 1 created, 0 updated, 0 unchanged, 0 skipped, 1 merged" in output
    assert f"merged: Stripe customer {second} <Sam@Example.com>" in output
    assert StripeImport.objects.get().counts["_merged_customers"] == {second: "Sam@Example.com"}
    sign_in(client, sam)
    html = client.get("/northwind/updateinfo/subscriptions/").content.decode()
    assert "Course A" in html and "Course B" in html

    # The card of the merged subscription changes on its own Stripe customer.
    intent = card_setup_start(subscription=merged)
    stripe_confirm_setup_intent(localstripe, intent.id, "pm_card_mastercard")
    update = card_update_complete(subscription=merged, setup_intent_id=intent.id, request=None)
    assert update.card.last4 == "4444"

    again = run_command()
    assert "0 changes." in again


def test_ctrl_c_ends_with_one_line_naming_the_run_and_the_resume_command(
    stripe_vendor, localstripe, monkeypatch
):
    reset(localstripe)
    pat = customer_with_card(localstripe, "pat@example.com")
    subscription = subscribe(localstripe, pat)
    renew(localstripe, pat, subscription["id"], 150)
    real = stripe_import._IMPORTERS["invoices"]
    pages = [0]

    def second_page_gets_ctrl_c(*args):
        pages[0] += 1
        real(*args)
        if pages[0] == 2:  # the operator presses Ctrl-C mid-page
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setitem(stripe_import._IMPORTERS, "invoices", second_page_gets_ctrl_c)

    with pytest.raises(CommandError) as caught:
        run_command()

    run = StripeImport.objects.get()
    message = str(caught.value)
    assert "\n" not in message and f"Import run {run.pk} interrupted" in message
    assert f"manage.py import_stripe northwind --resume {run.pk}" in message
    assert (run.status, run.stage) == ("interrupted", "invoices")
    assert Payment.objects.count() == 100  # page one; page two rolled back
    assert run.counts["invoices"] == {"created": 100}

    monkeypatch.setitem(stripe_import._IMPORTERS, "invoices", real)
    output = run_command("--resume", str(run.pk))
    assert "invoices: 151 created" in output  # page two counted once
    assert Payment.objects.count() == 151

    with pytest.raises(CommandError, match="already finished"):
        run_command("--resume", str(run.pk))
    run.refresh_from_db()
    assert run.counts["invoices"] == {"created": 151}


def test_a_vendor_without_a_key_gets_an_operator_message_and_no_run(stripe_vendor):
    stripe_vendor.stripe_secret_key = ""
    stripe_vendor.save()
    with pytest.raises(CommandError, match="no Stripe secret key"):
        run_command()
    assert not StripeImport.objects.exists()


def test_a_rejected_key_gets_an_operator_message_and_no_run(stripe_vendor):
    stripe_vendor.stripe_secret_key = "rk_revoked"  # localstripe answers 401, as Stripe does
    stripe_vendor.save()
    with pytest.raises(CommandError, match="Stripe refused northwind's secret key") as caught:
        run_command()
    assert "contact the seller" not in str(caught.value)
    assert not StripeImport.objects.exists()


def test_an_unreachable_stripe_gets_an_operator_message_and_no_run(stripe_vendor, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing listens
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(CommandError, match="could not be reached"):
        run_command()
    assert not StripeImport.objects.exists()


def test_ctrl_c_between_stages_resumes_with_the_next_one_and_counts_once(
    stripe_vendor, localstripe
):
    reset(localstripe)
    pat = customer_with_card(localstripe, "pat@example.com")
    subscribe(localstripe, pat)
    run = stripe_import.stripe_import_start(vendor=stripe_vendor)

    def ctrl_c_after_customers(stage, count):
        if stage == "customers":
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(stripe_import.ImportInterrupted):
        stripe_import.stripe_import_run(run=run, progress=ctrl_c_after_customers)
    run.refresh_from_db()
    assert (run.status, run.stage, run.counts["customers"]) == (
        "interrupted",
        "subscriptions",
        {"created": 1},
    )

    report = stripe_import.stripe_import_run(run=run)
    assert report.counts["customers"] == {"created": 1}  # not run again
    assert report.counts["subscriptions"] == {"created": 1}
    assert report.counts["invoices"] == {"created": 1}
