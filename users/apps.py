from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        from users import checks  # noqa: F401 (registers the checks)
        from users.translations import compile_stale_catalogs

        compile_stale_catalogs()
