from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = _("Sign-in providers")

    def ready(self) -> None:
        from social import checks, stand_ins  # noqa: F401 (registers the checks)
        from social.replacements import install_in_allauth

        install_in_allauth()
        stand_ins.connect()
