"""A PayPal payment's invoice states the plan's tax as PayPal charged it
(issue 25): the plan's percentage, whether its price includes the tax, and
the tax PayPal took (its transaction's breakdown). We compute none of it."""

from decimal import Decimal

from billing.documents.pdf import pdf_render
from billing.models import Payment
from tests.billing.test_paypal_webhooks import deliver, fake, hooked, paypal_sub  # noqa: F401
from tests.support.pdf import pdf_text


def test_the_invoice_states_the_plans_tax_as_paypal_charged_it(deliver, paypal_api):  # noqa: F811
    remote = paypal_sub(paypal_api, tax_percentage="10")
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    sale = fake(paypal_api, f"/_fake/subscriptions/{remote['id']}/renew")["sale"]
    deliver("PAYMENT.SALE.COMPLETED", sale)
    payments = Payment.objects.filter(subscription__processor_id=remote["id"]).order_by("pk")
    assert len(payments) == 2
    for payment in payments:  # the activation's transaction and the renewal's sale
        invoice = payment.invoice
        assert invoice.total == Decimal("9.90")
        (line,) = invoice.lines
        assert (line["amount"], line["taxes"][0]["rate"]) == ("9.00", "10")
        (rate,) = invoice.tax_rates
        assert (rate["rate"], rate["inclusive"]) == ("10", False)
        assert (rate["taxable_amount"], rate["amount"]) == ("9.00", "0.90")
        assert invoice.tax_amount == Decimal("0.90")
        assert invoice.amount_paid == Decimal("9.90")
    text = pdf_text(pdf_render(invoice=payments[1].invoice))
    for expected in ("Subtotal", "$9.00", "Tax 10 %", "$0.90", "$9.90", "Amount paid"):
        assert expected in text, expected


def test_without_a_plan_tax_the_invoice_has_its_one_line(deliver, paypal_api):  # noqa: F811
    remote = paypal_sub(paypal_api)
    deliver("BILLING.SUBSCRIPTION.ACTIVATED", {"id": remote["id"]})
    invoice = Payment.objects.get(subscription__processor_id=remote["id"]).invoice
    assert invoice.tax_rates == []
    assert not invoice.as_charged
    assert invoice.total == Decimal("9.00")
