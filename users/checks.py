"""System checks: what `manage.py check` (and `migrate`) report about setup."""

from allauth.account.fields import EmailField
from django.conf import settings
from django.core import checks

from users import addresses, ownership


@checks.register(checks.Tags.security)
def app_client_needs_a_signing_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if "app" in settings.HEADLESS_CLIENTS:
        return []
    return [
        checks.Info(
            "The app client (/_allauth/app/, JWT) is off.",
            hint="Set JWT_PRIVATE_KEY to an RSA private key to turn it on.",
            id="users.I001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def public_url_is_set(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if settings.PUBLIC_URL:
        return []
    return [
        checks.Warning(
            "DJANGO_PUBLIC_URL is not set: links in emails take the host name "
            "from each request, with the scheme's default port.",
            hint="Set DJANGO_PUBLIC_URL to the service's origin, such as "
            "https://accounts.example.com.",
            id="users.W001",
        )
    ]


@checks.register(checks.Tags.security)
def allauth_email_fields_canonicalise(
    app_configs, **kwargs
) -> list[checks.CheckMessage]:
    """One mailbox, one account rests on this (users/addresses.py)."""
    if EmailField.to_python is addresses.canonical_to_python:
        return []
    return [
        checks.Critical(
            "allauth's EmailField does not canonicalise addresses.",
            hint="users.apps.UsersConfig.ready() must call "
            "users.addresses.canonicalise_allauth_email_fields().",
            id="users.E001",
        )
    ]


@checks.register(checks.Tags.security)
def allauth_finds_accounts_by_ownership(
    app_configs, **kwargs
) -> list[checks.CheckMessage]:
    """An address opens only the account it belongs to (users/ownership.py)."""
    stale = ownership.modules_with_allauths_originals()
    if not stale:
        return []
    return [
        checks.Critical(
            f"allauth decides by address its own way in {', '.join(stale)}.",
            hint="Add these to users.ownership.replacements().",
            id="users.E002",
        )
    ]
