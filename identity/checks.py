"""System checks of the OpenID Connect provider's setup."""

from django.conf import settings
from django.core import checks

from identity import keys


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


@checks.register()
def signing_key_is_parsed_once(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if keys.installed():
        return []
    return [
        checks.Error(
            "allauth parses the OpenID Connect signing key for every token.",
            hint="identity.apps.IdentityConfig.ready() must call "
            "identity.keys.install().",
            id="identity.E001",
        )
    ]
