from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("magiclinks", "0005_accesslink_send_claim"),
    ]

    operations = [
        migrations.AddField(
            model_name="emailchange",
            name="send_claimed_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
