"""System checks of the OpenID Connect provider's setup."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def provider_needs_a_signing_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if settings.IDP_OIDC_PRIVATE_KEY:
        return []
    return [
        checks.Info(
            "The OpenID Connect provider (/.well-known/openid-configuration) is off.",
            hint="Set OIDC_PRIVATE_KEY to an RSA private key to turn it on.",
            id="identity.I001",
        )
    ]
