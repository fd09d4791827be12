"""Invoices state what the processor charged (issue 25): discounts, tax per
rate, amount paid, reverse charge and the supply period beside the lines;
money columns take a third decimal place (KWD, BHD, OMR).

An invoice issued before was issued for a paid payment and paid in full: its
amount paid is its total. Everything else stays empty and it renders as it
did."""

from decimal import Decimal

from django.db import migrations, models

import billing.models


def paid_in_full(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    Invoice.objects.update(amount_paid=models.F("total"))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0014_customer_company_and_tax_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="amount_paid",
            field=billing.models.MoneyField(
                decimal_places=3, default=Decimal("0"), max_digits=13, verbose_name="amount paid"
            ),
        ),
        migrations.AddField(
            model_name="invoice",
            name="discounts",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="coupon name and amount",
                verbose_name="discounts",
            ),
        ),
        migrations.AddField(
            model_name="invoice",
            name="period_end",
            field=models.DateField(blank=True, null=True, verbose_name="period end"),
        ),
        migrations.AddField(
            model_name="invoice",
            name="period_start",
            field=models.DateField(blank=True, null=True, verbose_name="period start"),
        ),
        migrations.AddField(
            model_name="invoice",
            name="reverse_charge",
            field=models.BooleanField(default=False, verbose_name="reverse charge"),
        ),
        migrations.AddField(
            model_name="invoice",
            name="tax_rates",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="rate, label, taxable amount and tax per rate",
                verbose_name="tax rates",
            ),
        ),
        migrations.AlterField(
            model_name="creditnote",
            name="total",
            field=billing.models.MoneyField(decimal_places=3, max_digits=13, verbose_name="total"),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="subtotal",
            field=billing.models.MoneyField(
                decimal_places=3, max_digits=13, verbose_name="subtotal"
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="tax_amount",
            field=billing.models.MoneyField(
                decimal_places=3, default=Decimal("0"), max_digits=13, verbose_name="tax amount"
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="total",
            field=billing.models.MoneyField(decimal_places=3, max_digits=13, verbose_name="total"),
        ),
        migrations.AlterField(
            model_name="order",
            name="amount",
            field=billing.models.MoneyField(decimal_places=3, max_digits=13, verbose_name="amount"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="amount",
            field=billing.models.MoneyField(decimal_places=3, max_digits=13, verbose_name="amount"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="amount_refunded",
            field=billing.models.MoneyField(
                decimal_places=3,
                default=Decimal("0"),
                max_digits=13,
                verbose_name="amount refunded",
            ),
        ),
        migrations.AlterField(
            model_name="refund",
            name="amount",
            field=billing.models.MoneyField(decimal_places=3, max_digits=13, verbose_name="amount"),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="amount",
            field=billing.models.MoneyField(decimal_places=3, max_digits=13, verbose_name="amount"),
        ),
        migrations.RunPython(paid_in_full, migrations.RunPython.noop),
    ]
