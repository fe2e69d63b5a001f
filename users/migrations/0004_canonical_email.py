"""Store every address in its canonical spelling, and hold it there.

Existing rows are rewritten to `users.addresses.canonical_email`. Where two
accounts turn out to share a mailbox, no row is changed and the migration
stops: decide which account keeps the address first. `manage.py
find_duplicate_emails` lists them, and works before this migration too.
"""

import django.db.models.functions.text
from django.db import migrations, models

from users.addresses import CANONICAL_VIOLATION, spelling_conflicts, stored_spelling

EMAILADDRESS_CHECK = "account_emailaddress_email_canonical"


def canonicalise(apps, schema_editor):
    User = apps.get_model("users", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    users = list(User.objects.values_list("pk", "email"))
    addresses = list(EmailAddress.objects.values_list("pk", "user_id", "email", "verified", "primary"))
    conflicts = spelling_conflicts(
        users, [(user_id, email) for _pk, user_id, email, verified, _p in addresses if verified]
    )
    if conflicts:
        raise RuntimeError(
            f"{len(conflicts)} address(es) reach one mailbox from several accounts, "
            "or have no valid spelling. Run `python manage.py find_duplicate_emails`, "
            "resolve each, and migrate again."
        )
    for pk, email in users:
        if stored_spelling(email) != email:
            User.objects.filter(pk=pk).update(email=stored_spelling(email))
    # One account may hold two spellings of one address: keep the verified,
    # primary one.
    kept: dict[tuple[int, str], int] = {}
    for pk, user_id, email, verified, primary in sorted(
        addresses, key=lambda row: (not row[3], not row[4], row[0])
    ):
        key = (user_id, stored_spelling(email))
        if key in kept:
            EmailAddress.objects.filter(pk=pk).delete()
            continue
        kept[key] = pk
        if key[1] != email:
            EmailAddress.objects.filter(pk=pk).update(email=key[1])


def add_emailaddress_check(apps, schema_editor):
    # allauth owns the table; the same rule as on users_user, in SQL.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE account_emailaddress ADD CONSTRAINT {EMAILADDRESS_CHECK} "
            f"CHECK (email = lower(email) AND email !~ '{CANONICAL_VIOLATION}')"
        )


def drop_emailaddress_check(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE account_emailaddress DROP CONSTRAINT {EMAILADDRESS_CHECK}"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("users", "0003_user_language"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(canonicalise, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("email", django.db.models.functions.text.Lower("email")))
                & ~models.Q(("email__regex", CANONICAL_VIOLATION)),
                name="users_user_email_canonical",
                violation_error_message="Enter a valid email address.",
            ),
        ),
        migrations.RunPython(add_emailaddress_check, drop_emailaddress_check),
    ]
