"""The admin site: signing in to it is signing in to the service.

/admin/login/ is no login form of its own: it sends people through allauth's
login, with its rate limits and the second factor. Staff without a second
factor are sent to set one up before the admin opens (ADMIN_REQUIRE_MFA,
on unless the environment turns it off for development).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest, HttpResponse

# What counts as a second factor: recovery codes only back one up.
SECOND_FACTORS = ["totp", "webauthn"]


def needs_second_factor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether `user` is staff who must set up a second factor first."""
    return bool(
        settings.ADMIN_REQUIRE_MFA
        and user.is_authenticated
        and getattr(user, "is_staff", False)
        and not is_mfa_enabled(user, SECOND_FACTORS)
    )


class AccountsAdminSite(admin.AdminSite):
    # The lists need the width more than a second copy of the index does.
    enable_nav_sidebar = False

    @property
    def site_header(self) -> str:  # type: ignore[override]
        return _("%(site_name)s administration") % {"site_name": settings.SITE_NAME}

    @property
    def site_title(self) -> str:  # type: ignore[override]
        return settings.SITE_NAME

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not needs_second_factor(request.user)

    def login(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        """allauth's login for whoever is not signed in; then, for active staff
        without a second factor, its setup; for the rest, the admin."""
        django_login = super().login

        def enter(request: HttpRequest) -> HttpResponse:
            if needs_second_factor(request.user):
                messages.warning(
                    request,
                    _("Set up two-step verification to use the administration."),
                )
                return redirect("mfa_index")
            return django_login(request, extra_context)

        return secure_admin_login(enter)(request)
