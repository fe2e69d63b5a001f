"""What a provider asserts about an address, and whether we believe it.

allauth reads each provider's verified flag its own way, and lets settings
mark every address of a provider verified whatever the provider says (the
per-app `verified_email`): never used here. An address counts as verified
only when the provider asserts it, in its own documented field, and the
provider is trusted for email.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from social.models import ProviderPolicy
from users.addresses import canonical_or_none

if TYPE_CHECKING:
    from allauth.socialaccount.models import SocialLogin


def _asserted(value: Any) -> bool:
    """A verified flag set to true; a string "true" counts (some providers
    send one), anything else does not."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def asserted_address(provider: str, data: dict[str, Any]) -> str | None:
    """The address the provider (allauth's provider class id) asserts as
    verified in its answer `data`, canonical; None when it asserts none."""
    email = None
    if provider == "kakao":
        # https://developers.kakao.com/docs/latest/en/kakaologin/rest-api#req-user-info
        account = data.get("kakao_account") or {}
        if _asserted(account.get("is_email_valid")) and _asserted(
            account.get("is_email_verified")
        ):
            email = account.get("email")
    elif provider == "google":
        # The ID token's email_verified, or userinfo v2's verified_email.
        if _asserted(data.get("email_verified")) or _asserted(
            data.get("verified_email")
        ):
            email = data.get("email")
    elif provider == "openid_connect":
        # allauth keeps userinfo and the ID token (or, from a token the app
        # API was handed, the ID token's claims alone); userinfo wins, as in
        # allauth.
        claims = data.get("userinfo") or data.get("id_token") or data
        if _asserted(claims.get("email_verified")):
            email = claims.get("email")
    # Naver's profile API says nothing of verification: nothing is asserted.
    return canonical_or_none(email) if isinstance(email, str) else None


def trusted_for_email(provider_id: str) -> bool:
    """Whether staff (or, for the generic provider, OIDC_RP_TRUST_EMAIL)
    trust `provider_id`'s verified addresses."""
    if provider_id == "oidc" and settings.OIDC_RP_TRUST_EMAIL:
        return True
    return ProviderPolicy.objects.filter(
        provider=provider_id, trusted_for_email=True
    ).exists()


def verified_address(sociallogin: SocialLogin) -> str | None:
    """The address of this login that counts as verified here, if any."""
    account = sociallogin.account
    address = asserted_address(sociallogin.provider.id, account.extra_data or {})
    if address is None or not trusted_for_email(account.provider):
        return None
    return address


def settle_addresses(sociallogin: SocialLogin) -> str | None:
    """Rewrite the login's addresses as we see them: canonical, and verified
    only for the one `verified_address` gives. That address, if any."""
    verified = verified_address(sociallogin)
    kept = []
    for address in sociallogin.email_addresses:
        canonical = canonical_or_none(address.email or "")
        if canonical is None:
            continue
        address.email = canonical
        address.verified = canonical == verified
        kept.append(address)
    sociallogin.email_addresses = kept
    user = sociallogin.user
    if email := getattr(user, "email", None):
        user.email = canonical_or_none(email) or ""
    return verified
