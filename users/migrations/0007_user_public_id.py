"""Each account gets a public id: the OpenID Connect subject other apps see.

Added empty, filled with a random UUID per existing account, then made
required and unique (a default on the added column would give every
existing row the same value).
"""

import uuid

from django.db import migrations, models

HELP = (
    "How other apps signed in through this service know the account (the "
    "OpenID Connect subject): random, never the database id or the address, "
    "and never changing."
)


def give_each_account_a_public_id(apps, schema_editor):
    User = apps.get_model("users", "User")
    for user in User.objects.filter(public_id__isnull=True).only("pk").iterator():
        User.objects.filter(pk=user.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0006_user_password_unproven"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_account_a_public_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text=HELP,
                unique=True,
                verbose_name="public ID",
            ),
        ),
    ]
