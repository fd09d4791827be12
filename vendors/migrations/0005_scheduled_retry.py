from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0004_vendor_country"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScheduledRetry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task", models.CharField(max_length=200)),
                ("args", models.JSONField(default=list)),
                ("kwargs", models.JSONField(default=dict)),
                ("retries", models.PositiveIntegerField(default=0)),
                ("run_at", models.DateTimeField(db_index=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("reason", models.CharField(blank=True, max_length=500)),
            ],
            options={"ordering": ["run_at"]},
        ),
    ]
