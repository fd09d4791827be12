"""A PayPal subscription payment's invoice line carries the billing period
it pays for (issue 25, point 1): PayPal bills each cycle at its start, for
one interval of the plan's regular billing cycle, and the last payment's
cycle ends when PayPal bills the next one (billing_info.next_billing_time).
With or without a plan tax."""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from billing.documents.pdf import pdf_render
from billing.models import Payment
from billing.processors.paypal_sync import interval_after
from tests.billing.test_paypal_webhooks import deliver, fake, hooked, paypal_sub  # noqa: F401
from tests.support.pdf import pdf_text
from vendors.formatting import vendor_zone


def paypal_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def day(vendor, moment: datetime) -> str:
    """The vendor's calendar day of a moment, as the snapshot writes it."""
    return timezone.localtime(moment, vendor_zone(vendor)).date().isoformat()


def periods(subscription_id: str) -> list[tuple[str, str, date | None, date | None]]:
    payments = Payment.objects.filter(subscription__processor_id=subscription_id).order_by("pk")
    return [
        (
            p.invoice.lines[0].get("period_start"),
            p.invoice.lines[0].get("period_end"),
            p.invoice.period_start,
            p.invoice.period_end,
        )
        for p in payments
    ]


def test_each_payment_pays_until_paypal_bills_the_next(deliver, paypal_api, hooked):  # noqa: F811
    remote = paypal_sub(paypal_api, tax_percentage="10")
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    renewed = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")
    deliver("PAYMENT.SALE.COMPLETED", renewed["sale"])

    first = remote["billing_info"]
    second = renewed["subscription"]["billing_info"]
    expected = []
    for billing in (first, second):
        start = paypal_time(billing["last_payment"]["time"])
        end = paypal_time(billing["next_billing_time"])
        expected.append((day(hooked, start), day(hooked, end)))
    assert [(s, e) for s, e, _, _ in periods(remote["id"])] == expected
    assert [(a.isoformat(), b.isoformat()) for _, _, a, b in periods(remote["id"])] == expected

    invoice = Payment.objects.filter(subscription__processor_id=remote["id"]).last().invoice
    text = pdf_text(pdf_render(invoice=invoice))
    assert "Period:" in text and "Service period" in text


def test_a_plan_without_tax_has_its_period_too(deliver, paypal_api, hooked):  # noqa: F811
    remote = paypal_sub(paypal_api)
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    invoice = Payment.objects.get(subscription__processor_id=remote["id"]).invoice
    assert not invoice.as_charged  # its one line, as before: PayPal stated no tax
    billing = remote["billing_info"]
    start = day(hooked, paypal_time(billing["last_payment"]["time"]))
    end = day(hooked, paypal_time(billing["next_billing_time"]))
    assert (invoice.lines[0]["period_start"], invoice.lines[0]["period_end"]) == (start, end)
    assert (invoice.period_start.isoformat(), invoice.period_end.isoformat()) == (start, end)
    assert "Service period" in pdf_text(pdf_render(invoice=invoice))


def charge(moment: datetime, transaction_id: str) -> dict:
    """A transaction as PayPal lists it (GET .../transactions)."""
    money = {"currency_code": "USD", "value": "9.00"}
    return {
        "id": transaction_id,
        "status": "COMPLETED",
        "amount_with_breakdown": {
            "gross_amount": money,
            "fee_amount": {"currency_code": "USD", "value": "0.27"},
            "net_amount": {"currency_code": "USD", "value": "8.73"},
        },
        "payer_name": {"given_name": "Casey", "surname": "Lee"},
        "payer_email": "casey@example.com",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_an_earlier_payment_pays_for_one_cycle_of_the_plan(deliver, paypal_api, hooked):  # noqa: F811
    """Only the last payment's cycle ends at next_billing_time; an earlier
    one in the transactions pays for one interval of the plan (a week)."""
    now = datetime.now(UTC).replace(microsecond=0)
    earlier, last = now - timedelta(days=9), now - timedelta(days=2)
    remote = paypal_sub(
        paypal_api,
        interval_unit="WEEK",
        transactions=[charge(earlier, "8AB12345CD6789012"), charge(last, "8AB12345CD6789013")],
        billing_info={
            "last_payment": {
                "amount": {"currency_code": "USD", "value": "9.00"},
                "time": last.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            # PayPal moved the next cycle out (a vendor's billing-date change).
            "next_billing_time": (last + timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    assert [(s, e) for s, e, _, _ in periods(remote["id"])] == [
        (day(hooked, earlier), day(hooked, earlier + timedelta(weeks=1))),
        (day(hooked, last), day(hooked, last + timedelta(days=8))),
    ]


def test_a_monthly_cycle_ends_on_the_same_day_of_a_later_month():
    start = datetime(2028, 1, 31, 9, 30, tzinfo=UTC)
    assert interval_after(start, interval="month", count=1) == start.replace(month=2, day=29)
    assert interval_after(start, interval="month", count=13).date() == date(2029, 2, 28)
    assert interval_after(start, interval="month", count=3).date() == date(2028, 4, 30)
    assert interval_after(start, interval="year", count=1).date() == date(2029, 1, 31)
    leap_day = datetime(2028, 2, 29, tzinfo=UTC)
    assert interval_after(leap_day, interval="year", count=1).date() == date(2029, 2, 28)
    assert interval_after(start, interval="week", count=2).date() == date(2028, 2, 14)
    assert interval_after(start, interval="day", count=1).date() == date(2028, 2, 1)
