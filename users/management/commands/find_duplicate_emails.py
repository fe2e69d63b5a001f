"""`manage.py find_duplicate_emails`: accounts whose addresses reach one mailbox.

Spellings that canonicalise alike (fullwidth letters, a Unicode domain and its
punycode) are one mailbox. Migration 0004 of `users` refuses to run while two accounts
share one; this lists them, so staff can decide which account keeps it.
Exits 1 when it finds any.
"""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand, CommandError

from users.addresses import spelling_conflicts
from users.models import User


class Command(BaseCommand):
    help = "List accounts whose addresses reach one mailbox, or have no valid spelling."

    def handle(self, *args, **options) -> None:
        conflicts = spelling_conflicts(
            User.objects.values_list("pk", "email"),
            EmailAddress.objects.filter(verified=True).values_list("user_id", "email"),
        )
        for rows in conflicts:
            self.stdout.write(
                "; ".join(
                    f"{table} of user {user_id}: {stored}"
                    for table, user_id, stored in rows
                )
            )
        if conflicts:
            msg = f"{len(conflicts)} conflict(s) to resolve."
            raise CommandError(msg)
        self.stdout.write("No two accounts share a mailbox.")
