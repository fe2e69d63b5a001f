"""allauth's social account adapter, for this service (SOCIALACCOUNT_ADAPTER)."""

from __future__ import annotations

import functools
import logging
import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount import app_settings
from allauth.socialaccount.adapter import (
    DefaultSocialAccountAdapter,
    _build_apps_from_settings,
)
from allauth.socialaccount.providers.base import AuthProcess
from django.utils.translation import gettext_lazy as _

from social import claims, linking
from users import verification
from users.models import User

if TYPE_CHECKING:
    from allauth.socialaccount.models import SocialApp, SocialLogin
    from django.http import HttpRequest

logger = logging.getLogger(__name__)
NAME_LENGTH = User._meta.get_field("name").max_length


def system_ca_bundle() -> str | bool:
    """The system's store of trusted certificates, as `requests` takes it:
    REQUESTS_CA_BUNDLE when an operator sets one (requests itself reads it
    over this), else the system's file or folder; `requests` alone would
    trust only its own copy (certifi)."""
    if bundle := os.environ.get("REQUESTS_CA_BUNDLE"):
        return bundle
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.capath):
        if candidate and Path(candidate).exists():
            return candidate
    return True


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    error_messages = {
        **DefaultSocialAccountAdapter.error_messages,
        "no_other_way_in": _(
            "This is your only way to sign in. Set a password or add a passkey "
            "first, then disconnect it."
        ),
    }

    def list_apps(
        self, request: HttpRequest | None, provider: Any = None, client_id: Any = None
    ) -> list[SocialApp]:
        """Providers come from the environment alone (SOCIALACCOUNT_PROVIDERS),
        never from the database: its admin is off (social/admin.py), and no
        sign-in page pays a query to find none there."""
        apps = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for provider_apps in apps.values() for app in provider_apps]

    def get_requests_session(self) -> requests.Session:
        """Every call to a provider: certificates checked against the
        system's store, and a short time-out."""
        session = requests.Session()
        session.verify = system_ca_bundle()
        session.request = functools.partial(  # type: ignore[method-assign]
            session.request, timeout=app_settings.REQUESTS_TIMEOUT
        )
        return session

    def is_email_verified(self, provider: Any, email: str) -> bool:
        """Never by configuration: what the provider asserts, and whether we
        trust it, is decided per login (social/claims.py)."""
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """After allauth looked the identity up by (provider, subject)."""
        claims.settle_addresses(sociallogin)
        if sociallogin.is_existing:
            # A known identity signs in to its account (with the second
            # factor, if any). Its address at the provider may have changed:
            # nothing here changes with it.
            return
        if sociallogin.state.get("process") == AuthProcess.LOGIN or not (
            sociallogin.state.get("process")
        ):
            linking.note_new_identity(request, sociallogin)

    def populate_user(
        self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]
    ) -> Any:
        """allauth's, and the name the provider knows the person by (Kakao's
        nickname, the others' name), as the profile's name."""
        user = super().populate_user(request, sociallogin, data)
        extra = sociallogin.account.extra_data or {}
        name = data.get("name") or data.get("username") or extra.get("name") or ""
        if isinstance(name, str):
            user.name = name.strip()[:NAME_LENGTH]
        return user

    def save_user(
        self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None
    ) -> Any:
        """A new account from a provider. Unless its address is verified, the
        provider link is as unproven as a typed password: only a verification
        in this browser keeps it (users/verification.py)."""
        user = super().save_user(request, sociallogin, form)
        verified = list(EmailAddress.objects.filter(user=user, verified=True))
        for address in verified:
            verification.remove_unverified_copies(address)
        unproven = not verified
        if user.password_unproven != unproven:
            user.password_unproven = unproven
            user.save(update_fields=["password_unproven"])
        if unproven:
            request.session[verification.SIGNED_UP_USER] = user.pk
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        # The kind only: a provider's answer may carry tokens or personal data.
        logger.warning(
            "Sign-in with %s failed: %s %s",
            getattr(provider, "sub_id", provider),
            error,
            type(exception).__name__ if exception else "",
        )
