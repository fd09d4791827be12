"""manage.py import_stripe against localstripe, with over 1,000 invoices:
idempotent, Stripe's numbers kept, our sequence untouched, queries bounded
per page of Stripe results, resumable after a Stripe error."""

import io
from decimal import Decimal

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceSequence,
    Order,
    Payment,
    Refund,
    Subscription,
)
from billing.processors.stripe_import import stripe_import_run, stripe_import_start

AUTH = ("sk_test_northwind", "")
BULK = 1000


def post(base, path, **data):
    response = requests.post(f"{base}{path}", data=data, auth=AUTH, timeout=300)
    response.raise_for_status()
    return response.json()


def account_create(base, *, renewals=BULK):
    """An existing Stripe account: Dana with a subscription; Eli with a
    weekly subscription renewed `renewals` times and a one-time charge
    refunded in part."""
    requests.delete(f"{base}/_config/data", timeout=10).raise_for_status()
    made = {}
    for name in ("dana", "eli"):
        customer = post(base, "/v1/customers", email=f"{name}@example.com", name=name.title())
        method = post(base, "/v1/payment_methods/pm_card_visa/attach", customer=customer["id"])
        post(base, f"/v1/customers/{customer['id']}",
             **{"invoice_settings[default_payment_method]": method["id"]})  # fmt: skip
        plan = post(base, "/v1/plans", amount=2900 if name == "dana" else 1200, currency="usd",
                    interval="month", **{"product[name]": f"{name} plan"})  # fmt: skip
        subscription = post(
            base, "/v1/subscriptions", customer=customer["id"], **{"items[0][plan]": plan["id"]}
        )
        made[name] = customer["id"]
        made[f"{name}_subscription"] = subscription["id"]
    post(base, "/_test/paid_invoices", customer=made["eli"],
         subscription=made["eli_subscription"], count=renewals)  # fmt: skip
    charge = post(base, "/v1/charges", customer=made["eli"], amount=5000, currency="usd")
    post(base, "/v1/refunds", charge=charge["id"], amount=2000)
    made["charge"] = charge["id"]
    return made


@pytest.fixture(scope="module")
def stripe_account(localstripe):
    """Made once for the module (localstripe keeps it; each test's database
    starts empty)."""
    return account_create(localstripe)


def run_command(*args):
    out = io.StringIO()
    call_command("import_stripe", "northwind", *args, stdout=out)
    return out.getvalue()


def test_it_imports_everything_once_and_a_second_run_changes_nothing(stripe_vendor, stripe_account):
    per_page: list[tuple[str, int, int]] = []
    # Counted by a wrapper: CaptureQueriesContext keeps only the last 9,000.
    executed = [0]

    def counting(execute, sql, params, many, context):
        executed[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        seen = [0]

        def progress(stage, count):
            per_page.append((stage, count, executed[0] - seen[0]))
            seen[0] = executed[0]

        report = stripe_import_run(run=stripe_import_start(vendor=stripe_vendor), progress=progress)

    assert Customer.objects.filter(stripe_customer_id__startswith="cus_").count() == 2
    dana = Customer.objects.get(email="dana@example.com")
    assert dana.stripe_customer_id == stripe_account["dana"]
    subscription = Subscription.objects.get(processor_id=stripe_account["dana_subscription"])
    assert (subscription.customer, subscription.status) == (dana, "active")
    # 1,000 renewals + the first invoice of Eli's lessons + his one-time charge.
    assert Payment.objects.filter(customer__email="eli@example.com").count() == BULK + 2
    assert Payment.objects.filter(subscription=subscription).count() == 1
    # Historical invoices keep Stripe's number (the fake's are "LS-...") and
    # date, and take nothing from our sequence; the one-time charge, which
    # has no invoice at Stripe, is numbered by its charge id.
    imported = Invoice.objects.filter(imported=True)
    assert imported.count() == BULK + 3
    assert not imported.filter(sequence__isnull=False).exists()
    assert not InvoiceSequence.objects.filter(last_number__gt=0).exists()
    assert imported.filter(number__startswith="LS-").count() == BULK + 2
    # The one-time charge and its partial refund, with a credit note.
    one_time = Payment.objects.get(processor_ref=stripe_account["charge"])
    assert one_time.order.processor_ref == stripe_account["charge"]
    assert (one_time.status, one_time.amount_refunded) == ("partially_refunded", Decimal("20.00"))
    assert CreditNote.objects.get().refund.payment == one_time
    # No receipts for history.
    assert not Payment.objects.filter(receipt_sent_at__isnull=True, status="paid").exists()
    assert "invoices: 1002 created" in report.summary()
    assert "customers: 2 created" in report.summary()
    # Each new object costs a handful of queries, whatever the page.
    assert max(q / max(n, 1) for _, n, q in per_page) <= 20, per_page

    rows = (
        Customer.objects.count(), Subscription.objects.count(), Order.objects.count(),
        Payment.objects.count(), Invoice.objects.count(), Refund.objects.count(),
    )  # fmt: skip
    with CaptureQueriesContext(connection) as second_queries:
        second = run_command()

    assert "0 changes." in second
    assert "invoices: 0 created, 0 updated, 1002 unchanged" in second
    assert rows == (
        Customer.objects.count(), Subscription.objects.count(), Order.objects.count(),
        Payment.objects.count(), Invoice.objects.count(), Refund.objects.count(),
    )  # fmt: skip
    # Nothing changed: a few queries per page of Stripe results, not per object.
    pages = second.count(" more")
    assert pages >= 22 and "invoices: 100 more" in second and "\r" not in second
    assert len(second_queries) <= 6 * pages + 10


def test_since_limits_the_import(stripe_vendor, stripe_account):
    output = run_command("--since", "2999-01-01")
    assert "0 changes." in output
    assert not Payment.objects.exists()
    assert "invoices: 0 created, 0 updated, 0 unchanged, 1002 skipped" in output


def test_an_unknown_account_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("import_stripe", "nobody", stdout=io.StringIO())
