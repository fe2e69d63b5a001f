"""System checks: what `manage.py check` (and `migrate`) report about setup."""

from django.conf import settings
from django.core import checks


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
