"""`manage.py outbox_status`: the health of the outgoing email queue."""

from django.core.management.base import BaseCommand

from mail import outbox


class Command(BaseCommand):
    help = "Print outgoing email counts by status and the oldest pending age."

    def handle(self, *args, **options) -> None:
        health = outbox.health()
        for status, count in health["counts"].items():
            self.stdout.write(f"{status:<8} {count}")
        age = health["oldest_pending_age"]
        oldest = f"{age.total_seconds():.0f}s" if age is not None else "-"
        self.stdout.write(f"oldest pending: {oldest}")
