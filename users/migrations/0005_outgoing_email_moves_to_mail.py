"""The outbox now belongs to the mail app (mail.0001): state only, the table
and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0004_canonical_email"),
        ("mail", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutgoingEmail")],
            database_operations=[],
        ),
    ]
