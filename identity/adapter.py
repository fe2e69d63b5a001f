"""allauth's OpenID Connect adapter, for this service (IDP_OIDC_ADAPTER)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from allauth.idp.oidc.adapter import DefaultOIDCAdapter
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from project.middleware import public_origin
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Iterable

    from allauth.idp.oidc.models import Client
    from django.contrib.auth.base_user import AbstractBaseUser

# The claims an app may read, and the scope that gives each.
CLAIMS_SUPPORTED = ["sub", "email", "email_verified", "name", "locale"]


class OIDCAdapter(DefaultOIDCAdapter):
    # What the consent page says each scope shares.
    scope_display = {
        "openid": _("An identifier of your account, for this service's apps only"),
        "email": _("Your email address, and whether it is verified"),
        "profile": _("Your name and language"),
    }

    def get_issuer(self) -> str:
        """DJANGO_PUBLIC_URL, else the request's origin as the service is
        configured (project/middleware.py): never a port or host a client
        made up in its Host header."""
        if settings.PUBLIC_URL:
            return settings.PUBLIC_URL
        return public_origin(self.request)

    def get_user_sub(self, client: Client, user: AbstractBaseUser) -> str:
        """The account's public id: stable, random, and neither the database
        id nor the address (which can change hands)."""
        return str(user.public_id)  # type: ignore[attr-defined]

    def get_user_by_sub(self, client: Client, sub: str) -> AbstractBaseUser | None:
        """`get_user_sub` read back: authorization codes store the subject."""
        try:
            public_id = uuid.UUID(str(sub))
        except ValueError:
            return None
        return User.objects.filter(public_id=public_id, is_active=True).first()

    def get_claims(
        self,
        purpose: Any,
        user: AbstractBaseUser,
        client: Client,
        scopes: Iterable[str],
        email: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """`sub`; with `email`, the address and whether it is verified (true
        only for a verified one); with `profile`, the name (only one the
        person gave: allauth would fall back on the address) and the
        language."""
        scopes = list(scopes)
        claims = super().get_claims(purpose, user, client, scopes, email, **kwargs)
        if "email_verified" in claims:
            claims["email_verified"] = claims["email_verified"] is True
        for claim in ("name", "given_name", "family_name", "preferred_username"):
            claims.pop(claim, None)
        if "profile" in scopes:
            if name := getattr(user, "name", ""):
                claims["name"] = name
            claims["locale"] = getattr(user, "language", settings.LANGUAGE_CODE)
        return claims

    def populate_server_metadata(self, data: dict[str, Any]) -> None:
        data["claims_supported"] = CLAIMS_SUPPORTED
