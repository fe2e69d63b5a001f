"""Unlinking a provider, only while another way in remains."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount

if TYPE_CHECKING:
    from django.http import HttpRequest


def other_way_in(account: SocialAccount) -> bool:
    """Whether the account's owner can still sign in without `account`: a
    password, a passkey, or another provider."""
    user = account.user
    if user.has_usable_password():
        return True
    if SocialAccount.objects.filter(user_id=user.pk).exclude(pk=account.pk).exists():
        return True
    return any(
        authenticator.wrap().is_passwordless is True
        for authenticator in Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.WEBAUTHN
        )
    )


def validate_disconnect(request: HttpRequest, account: SocialAccount) -> None:
    """In place of allauth's (social/replacements.py), which asks for a
    password whatever else remains, and counts no passkey."""
    adapter = get_adapter()
    if not other_way_in(account):
        code = "no_other_way_in"
        raise adapter.validation_error(code)
    adapter.validate_disconnect(
        account, SocialAccount.objects.filter(user_id=account.user_id)
    )
