from django.apps import AppConfig


class TranslationsConfig(AppConfig):
    name = "translations"
    verbose_name = "Translations"

    def ready(self) -> None:
        from translations.catalogs import compile_stale_catalogs

        compile_stale_catalogs()
