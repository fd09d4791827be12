from django.db import migrations, models


def mark_existing_sent(apps, schema_editor):
    # Until now the email went out inside the transaction that created the
    # change: a row that exists is one whose email was sent.
    EmailChange = apps.get_model("magiclinks", "EmailChange")
    EmailChange.objects.filter(sent_at__isnull=True).update(sent_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("magiclinks", "0003_accesslink_sent_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="emailchange",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_sent, migrations.RunPython.noop),
    ]
