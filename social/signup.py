"""The address a new account from a provider starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account import utils as allauth_utils
from allauth.account.models import EmailAddress
from allauth.account.utils import user_email

if TYPE_CHECKING:
    from django.http import HttpRequest

    from users.models import User


def setup_user_email(
    request: HttpRequest, user: User, addresses: list[EmailAddress]
) -> EmailAddress | None:
    """In place of allauth's for social signups (social/replacements.py).

    The account's address, primary, verified only if the provider's login
    says so (social/claims.py settled that). allauth's own would skip an
    address that any other account merely added, unverified, leaving the
    new account with none; such a copy proves nothing (users/ownership.py).
    """
    email = user_email(user)
    if not email:
        return allauth_utils.setup_user_email(request, user, addresses)
    verified = any(a.verified and a.email == email for a in addresses)
    address = EmailAddress.objects.create(
        user=user, email=email, primary=True, verified=verified
    )
    EmailAddress.objects.fill_cache_for_user(user, [address])
    return address
