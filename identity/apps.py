from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Apps signing in through this service")

    def ready(self) -> None:
        from identity import checks, keys, receivers, wording  # noqa: F401 (checks registers)

        receivers.connect()
        keys.install()
        wording.install()
