from django.db import migrations


class Migration(migrations.Migration):
    """Joins the consumer-rights settings (built beside the vendor's
    languages) to the main line."""

    dependencies = [
        ("vendors", "0008_vendor_consumer_rights"),
        ("vendors", "0008_vendor_languages_and_document_language"),
    ]

    operations = []
