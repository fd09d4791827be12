import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("vendors", "0002_webhook_rolling_and_paypal_environment"),
    ]

    operations = [
        # Existing members ran everything until now: they become owners.
        # New memberships default to support (the next operation).
        migrations.AddField(
            model_name="vendormembership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("support", "Support")],
                default="owner",
                max_length=10,
                verbose_name="role",
            ),
        ),
        migrations.AlterField(
            model_name="vendormembership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("support", "Support")],
                default="support",
                max_length=10,
                verbose_name="role",
            ),
        ),
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="Where the key is used.", max_length=100, verbose_name="name"
                    ),
                ),
                (
                    "prefix",
                    models.CharField(
                        editable=False, max_length=16, unique=True, verbose_name="prefix"
                    ),
                ),
                ("key_hash", models.CharField(editable=False, max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="last used"
                    ),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="revoked"
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "vendor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_keys",
                        to="vendors.vendor",
                    ),
                ),
            ],
            options={"verbose_name": "API key", "ordering": ["-created_at"]},
        ),
    ]
