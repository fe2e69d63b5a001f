from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        from allauth.account.signals import password_reset

        from users import checks  # noqa: F401 (registers the checks)
        from users.adapter import verify_by_password_reset
        from users.addresses import canonicalise_allauth_email_fields

        canonicalise_allauth_email_fields()
        # allauth has no adapter hook for a completed reset.
        password_reset.connect(verify_by_password_reset)
