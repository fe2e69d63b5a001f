"""Second factors and passkeys: our adapter for allauth.mfa (MFA_ADAPTER)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings

from users.admin_site import SECOND_FACTORS
from users.ownership import LOGIN_FACTORS

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class MFAAdapter(DefaultMFAAdapter):
    def _get_site_name(self) -> str:
        return settings.SITE_NAME

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        """The relying party is the service's host: DJANGO_PUBLIC_URL's when set
        (project/middleware.py pins every built URL to it), else the request's.
        A passkey made on one host name never works on another."""
        origin = context.request.build_absolute_uri("/")
        return {"id": urlsplit(origin).hostname or "", "name": settings.SITE_NAME}

    def is_mfa_enabled(self, user: AbstractBaseUser, types=None) -> bool:
        """allauth's answer, except that an account from
        `users.ownership.owner_of` already knows it for a login's factors."""
        known = getattr(user, "has_login_factor", None)
        if known is not None and types is not None and set(types) == set(LOGIN_FACTORS):
            return bool(known)
        return super().is_mfa_enabled(user, types)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff keep at least one second factor while the admin requires one."""
        user: AbstractBaseUser = authenticator.user
        if not (settings.ADMIN_REQUIRE_MFA and getattr(user, "is_staff", False)):
            return True
        if authenticator.type not in SECOND_FACTORS:
            return True
        others = Authenticator.objects.filter(
            user_id=user.pk, type__in=SECOND_FACTORS
        ).exclude(pk=authenticator.pk)
        return others.exists()
