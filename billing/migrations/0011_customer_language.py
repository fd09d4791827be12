"""Customer.language: the language the customer chose in the hub's menu.

Added with a plain ALTER TABLE ... ADD COLUMN ... DEFAULT '' on both
databases: Django's own AddField rebuilds the table on SQLite for a NOT NULL
column, and the rebuild trips over the payment-count triggers of migration
0005 that name the table. The column keeps its database default, as the
field's `db_default` says, so rows written outside the ORM (the benchmark's
COPY) get "".
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_verbose_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE billing_customer"
                    " ADD COLUMN language varchar(10) DEFAULT '' NOT NULL",
                    "ALTER TABLE billing_customer DROP COLUMN language",
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="language",
                    field=models.CharField(
                        blank=True,
                        db_default="",
                        default="",
                        max_length=10,
                        verbose_name="language",
                    ),
                ),
            ],
        ),
    ]
