"""`manage.py compile_translations`: every .po catalog to its .mo, in pure
Python (see translations/catalogs.py), without GNU gettext."""

from django.core.management.base import BaseCommand

from translations.catalogs import catalogs, compile_catalog


class Command(BaseCommand):
    help = "Compile every .po catalog under LOCALE_PATHS into its .mo file."

    def handle(self, *args, **options) -> None:
        for po in catalogs():
            self.stdout.write(f"compiled {compile_catalog(po)}")
