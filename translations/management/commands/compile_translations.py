"""`manage.py compile_translations`: every .po catalog to its .mo, in pure
Python (see users/translations.py), without GNU gettext."""

from django.core.management.base import BaseCommand

from users.translations import catalogs, compile_catalog


class Command(BaseCommand):
    help = "Compile every .po catalog under LOCALE_PATHS into its .mo file."

    def handle(self, *args, **options) -> None:
        for po in catalogs():
            self.stdout.write(f"compiled {compile_catalog(po)}")
