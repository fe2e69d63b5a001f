"""Connections to a provider that is no longer configured.

When an operator removes a provider's variables, accounts may still be
connected to it. allauth looks the provider up for every connection it
lists or removes, and fails with a 500 when it is gone. Each such
connection, as it is loaded, gets a stand-in provider without credentials
(SocialAccount keeps it as its provider), so the connections page and the
API list it and its owner can remove it; its sign-in URLs answer 404
(social/middleware.py).
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import _build_apps_from_settings
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers import registry
from django.db.models.signals import post_init


def stand_in_when_unconfigured(
    sender: Any, instance: SocialAccount, **kwargs: Any
) -> None:
    # Read without loading it: a deferred field would query (and init) again.
    provider_id = instance.__dict__.get("provider")
    if not provider_id or _build_apps_from_settings(provider=provider_id):
        return
    provider_class = registry.get_class(provider_id)
    if provider_class is None:  # a sub-provider, such as "oidc"
        provider_class = registry.get_class("openid_connect")
    app = SocialApp(
        provider=provider_class.id,
        provider_id=provider_id,
        name=provider_id,
        settings={"server_url": ""},
    )
    instance._provider = provider_class(None, app=app)  # noqa: SLF001 (allauth's own cache)


def connect() -> None:
    post_init.connect(stand_in_when_unconfigured, sender=SocialAccount)
