from django.db import migrations


class Migration(migrations.Migration):
    """Joins the withdrawal waiver (built beside the customer's language) to
    the main line."""

    dependencies = [
        ("billing", "0011_order_withdrawal_waived"),
        ("billing", "0011_customer_language"),
    ]

    operations = []
