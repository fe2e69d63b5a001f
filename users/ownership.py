"""Which account an email address belongs to.

An address belongs to the account that verified it. Until someone verifies
it, it belongs only to the account that signed up with it (`User.email`); a
copy that another account merely added proves nothing and opens nothing.
Login, password resets, login codes, social logins and the signup's "is it
taken?" all ask `owner_of`.
"""

from __future__ import annotations

import importlib
import sys

from allauth.account.internal import userkit
from allauth.account.models import EmailAddress
from django.apps import apps

from users.addresses import canonical_or_none
from users.models import User


def owner_of(email: str) -> User | None:
    """The account that `email` belongs to, or None.

    The account that verified it; failing that, the account that signed up
    with it. Never an account that only added it and left it unverified.
    """
    canonical = canonical_or_none(email)
    if canonical is None:
        return None
    verified = (
        EmailAddress.objects.filter(email=canonical, verified=True)
        .select_related("user")
        .first()
    )
    if verified is not None:
        return verified.user
    return User.objects.filter(email=canonical).first()


# allauth's own lookup: every holder of an address, verified or not.
_allauth_filter_users_by_email = userkit.filter_users_by_email
# The modules that bound allauth's lookup under their own name at import.
LOOKUP_MODULES = [
    "allauth.account.internal.userkit",
    "allauth.account.forms",
    "allauth.account.auth_backends",
    "allauth.socialaccount.adapter",
]


def filter_users_by_email(
    email: str,
    *,
    is_active: bool | None = None,
    prefer_verified: bool = False,
    for_login: bool = False,
) -> list[User]:
    """allauth's account lookup by address, where a login is at stake by
    ownership alone.

    allauth asks `for_login` when an address is about to open an account: a
    password login, a password reset, a login code, a social login. Then the
    answer is the account the address belongs to, or none; a stranger's
    unverified copy never counts. Other questions ("is it on any account?")
    keep allauth's answer.
    """
    if not for_login:
        return _allauth_filter_users_by_email(
            email, is_active=is_active, prefer_verified=prefer_verified
        )
    owner = owner_of(email)
    if owner is None or (is_active is not None and owner.is_active != is_active):
        return []
    return [owner]


def install_in_allauth() -> None:
    """Make every allauth lookup of accounts by address use ours.

    allauth has no setting or adapter method for it, and imports the
    function by name into the modules listed, so each gets ours at start-up.
    `users.checks` fails the start if an allauth module still holds the
    original (say, after an upgrade adds one).
    """
    for name in LOOKUP_MODULES:
        if apps.is_installed(".".join(name.split(".")[:2])):
            module = importlib.import_module(name)
            module.filter_users_by_email = filter_users_by_email  # type: ignore[attr-defined]


def modules_with_allauths_lookup() -> list[str]:
    """Loaded allauth modules that still hold allauth's original lookup."""
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith("allauth.")
        and getattr(module, "filter_users_by_email", None)
        is _allauth_filter_users_by_email
    )
