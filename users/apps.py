from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on our site (users/admin_site.py)."""

    default = False  # named in INSTALLED_APPS; UsersConfig is this app's own
    default_site = "users.admin_site.AccountsAdminSite"


class UsersConfig(AppConfig):
    name = "users"
    # The admin's section and breadcrumbs read "People > Users", not
    # "Users > Users".
    verbose_name = _("People")

    def ready(self) -> None:
        from allauth.account.signals import (
            email_confirmed,
            password_changed,
            password_reset,
            password_set,
            user_logged_in,
        )

        from users import (
            checks,  # noqa: F401 (registers the checks)
            deliverability,
            sessions,
            verification,
        )
        from users.addresses import canonicalise_allauth_email_fields
        from users.ownership import install_in_allauth
        from users.rate_limits import install as count_in_one_step
        from users.session_records import install as record_sessions_in_one_insert

        canonicalise_allauth_email_fields()
        install_in_allauth()
        count_in_one_step()
        record_sessions_in_one_insert()
        # allauth has no adapter hook for these: every way an address gets
        # verified ends in this signal, and every reset in the other.
        email_confirmed.connect(verification.on_email_confirmed)
        password_reset.connect(verification.on_password_reset)
        # A new password signs out every other session (users/sessions.py).
        password_changed.connect(sessions.on_password_changed)
        password_set.connect(sessions.on_password_changed)
        # A mailbox proven again takes mail again; a sign-in tells the person
        # about an address that takes none (users/deliverability.py).
        email_confirmed.connect(deliverability.on_email_confirmed)
        password_reset.connect(deliverability.on_password_reset)
        user_logged_in.connect(deliverability.on_user_logged_in)
