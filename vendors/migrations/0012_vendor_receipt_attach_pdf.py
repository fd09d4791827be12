from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0011_vendor_tax_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="vendor",
            name="receipt_attach_pdf",
            field=models.BooleanField(
                default=False,
                help_text="Receipts then wait until the PDF is rendered, usually a second.",
                verbose_name="attach the invoice PDF to receipts",
            ),
        ),
    ]
