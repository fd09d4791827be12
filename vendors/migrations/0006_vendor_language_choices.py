from django.db import migrations, models


def languages_with_catalogs(apps, schema_editor):
    """The hub speaks the languages it has catalogs for (settings.LANGUAGES:
    en, de, fr, es). British English is English, whose regional formats
    come from the vendor's country; Dutch never had a catalog, so those
    vendors' hubs were English already."""
    Vendor = apps.get_model("vendors", "Vendor")
    Vendor.objects.filter(locale__in=["en-gb", "en-us", "nl"]).update(locale="en")


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0005_scheduled_retry"),
    ]

    operations = [
        migrations.RunPython(languages_with_catalogs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="vendor",
            name="locale",
            field=models.CharField(
                choices=[
                    ("en", "English"),
                    ("de", "Deutsch"),
                    ("fr", "Français"),
                    ("es", "Español"),
                ],
                default="en",
                max_length=10,
                verbose_name="language",
            ),
        ),
    ]
