"""The outbox moves from the users app to its own.

The table stays where it is (`users_outgoingemail`): this migration only
tells Django the model now lives here, so an existing database migrates
without copying a row. users.0005 drops it from the users app's state.
"""

import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Permissions granted on the old model carry over to the new one."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="users", model="outgoingemail").update(
        app_label="mail"
    )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="mail", model="outgoingemail").update(
        app_label="users"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("users", "0004_canonical_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutgoingEmail",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("to", models.EmailField(max_length=254, verbose_name="recipient")),
                        ("subject", models.CharField(max_length=255, verbose_name="subject")),
                        ("body_text", models.TextField(blank=True, verbose_name="text body")),
                        ("body_html", models.TextField(blank=True, verbose_name="HTML body")),
                        ("kind", models.CharField(help_text="What the message is, in the words of the app that sent it.", max_length=32, verbose_name="kind")),
                        ("status", models.CharField(choices=[("pending", "pending"), ("sending", "sending"), ("sent", "sent"), ("failed", "failed")], default="pending", max_length=16, verbose_name="status")),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now, help_text="Pending: when the sweeper may send it. Sending: when the sender's lease runs out and the row is taken back.", verbose_name="next attempt at")),
                        ("last_error", models.CharField(blank=True, max_length=500, verbose_name="last error")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                        ("idempotency_key", models.CharField(help_text="The same message is never queued twice.", max_length=64, unique=True, verbose_name="idempotency key")),
                    ],
                    options={
                        "verbose_name": "outgoing email",
                        "verbose_name_plural": "outgoing emails",
                        "db_table": "users_outgoingemail",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(condition=models.Q(("status__in", ["pending", "sending"])), fields=["next_attempt_at"], name="outgoing_email_due_idx"),
                            models.Index(fields=["status", "created_at"], name="outgoing_email_status_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
