from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("magiclinks", "0004_emailchange_sent_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslink",
            name="send_claimed_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
