"""System checks of the social sign-in policy."""

from django.core import checks

from social import replacements


@checks.register(checks.Tags.security)
def allauth_uses_our_social_policy(app_configs, **kwargs) -> list[checks.CheckMessage]:
    stale = replacements.modules_with_allauths_originals()
    if not stale:
        return []
    return [
        checks.Critical(
            f"allauth still decides its own way in {', '.join(stale)}.",
            hint="social.apps.SocialConfig.ready() must call "
            "social.replacements.install_in_allauth().",
            id="social.E001",
        )
    ]
