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
from typing import TYPE_CHECKING, NamedTuple

from allauth.account import app_settings as account_settings
from allauth.account import utils as allauth_utils
from allauth.account.internal import userkit
from allauth.account.internal.flows import manage_email
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps

from mail.models import Suppression
from users.addresses import canonical_or_none
from users.models import User, user_columns, user_from_sql

if TYPE_CHECKING:
    from collections.abc import Callable

# The factors a password login must be followed by (allauth's MFA stage).
LOGIN_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def _owner_sql() -> str:
    """owner_of's query: the owner's id worked out first, then one lookup by
    primary key. A condition OR-ing the two kinds of owner would make
    PostgreSQL walk users_user in id order to the one it wants, a million
    rows at a million users (bench/million_users.py). Written once, here:
    the ORM spent more CPU compiling it, on every login and signup, than
    PostgreSQL spends running it (bench/login_cost.py)."""
    users, addresses = User._meta.db_table, EmailAddress._meta.db_table
    factors = Authenticator._meta.db_table
    suppressions = Suppression._meta.db_table
    return (
        f"SELECT {user_columns('u')}, "  # noqa: S608 (table names from the models; values are parameters)
        f"EXISTS (SELECT 1 FROM {addresses} a WHERE a.user_id = u.id "
        f"AND a.email = %(email)s AND a.verified) AS address_verified, "
        f"EXISTS (SELECT 1 FROM {factors} f WHERE f.user_id = u.id "
        f"AND f.type IN (%(totp)s, %(webauthn)s)) AS has_login_factor, "
        # Told at sign-in (users/deliverability.py).
        f"EXISTS (SELECT 1 FROM {suppressions} x WHERE x.address = %(email)s "
        f"AND x.suppressed_at IS NOT NULL) AS address_undeliverable "
        f"FROM {users} u WHERE u.id = COALESCE("
        f"(SELECT a.user_id FROM {addresses} a "
        f"WHERE a.email = %(email)s AND a.verified LIMIT 1), "
        f"(SELECT s.id FROM {users} s WHERE s.email = %(email)s LIMIT 1))"
    )


OWNER_SQL = _owner_sql()


def owner_of(email: str) -> User | None:
    """The account that `email` belongs to, or None.

    The account that verified it; failing that, the account that signed up
    with it. Never an account that only added it and left it unverified.

    One query. The account comes with what a login asks next, so that it
    asks nothing more: `address_verified` (whether this address is verified
    on it), `has_login_factor` (an authenticator app or a security key,
    which a password login must be followed by) and `address_undeliverable`
    (mail to it bounced; the sign-in says so).
    """
    canonical = canonical_or_none(email)
    if canonical is None:
        return None
    totp, webauthn = LOGIN_FACTORS
    owner = user_from_sql(
        OWNER_SQL, {"email": canonical, "totp": totp, "webauthn": webauthn}
    )
    if owner is not None:
        owner.looked_up_address = canonical  # type: ignore[attr-defined]
    return owner


def address_verified(user: object, email: str | None) -> bool | None:
    """What `owner_of` found out about `email` on `user`: True or False, or
    None when this user did not come from `owner_of(email)`."""
    looked_up = getattr(user, "looked_up_address", None)
    if email is None or looked_up is None or canonical_or_none(email) != looked_up:
        return None
    return bool(getattr(user, "address_verified", False))


def assess_unique_email(email: str, user: User | None = None) -> bool | None:
    """allauth's "may `user` (or a new account) take this address?", by
    ownership: True when the address belongs to no account but theirs,
    None when it belongs to another and enumeration is prevented (the
    signup or change answers as for a free address, and the owner is told),
    False otherwise. A stranger's unverified copy takes nothing."""
    if not account_settings.UNIQUE_EMAIL:
        return True
    owner = owner_of(email)
    if owner is None or (user is not None and owner.pk == user.pk):
        return True
    return None if account_settings.PREVENT_ENUMERATION else False


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


# allauth's own functions that ours replace, as allauth defines them.
_allauth_filter_users_by_email = userkit.filter_users_by_email
_allauth_assess_unique_email = manage_email.assess_unique_email


class Replacement(NamedTuple):
    module: str
    name: str
    original: Callable
    ours: Callable
    # Whether any other allauth module holding the original is a hole: an
    # account found by address, or an address taken, without ownership.
    everywhere: bool = True


def replacements() -> list[Replacement]:
    """Every function of allauth's that ours replace, in the modules where
    allauth imported it by name."""
    from users.signup import setup_user_email  # noqa: PLC0415 (it imports this)

    lookup = (
        "filter_users_by_email",
        _allauth_filter_users_by_email,
        filter_users_by_email,
    )
    return [
        Replacement("allauth.account.internal.userkit", *lookup),
        Replacement("allauth.account.forms", *lookup),
        Replacement("allauth.account.auth_backends", *lookup),
        Replacement("allauth.socialaccount.adapter", *lookup),
        Replacement(
            "allauth.account.internal.flows.manage_email",
            "assess_unique_email",
            _allauth_assess_unique_email,
            assess_unique_email,
        ),
        # A new identity from a provider: is its address an account's?
        Replacement(
            "allauth.socialaccount.internal.flows.signup",
            "assess_unique_email",
            _allauth_assess_unique_email,
            assess_unique_email,
        ),
        # Only the signup form's: a social signup keeps allauth's.
        Replacement(
            "allauth.account.forms",
            "setup_user_email",
            allauth_utils.setup_user_email,
            setup_user_email,
            everywhere=False,
        ),
    ]


def install_in_allauth() -> None:
    """Make allauth use ours: its account lookup by address, its "is this
    address taken?", and its signup's address setup.

    allauth has no setting or adapter method for these, and imports the
    functions by name into the modules listed, so each gets ours at
    start-up. `users.checks` fails the start if an allauth module still holds
    an original (say, after an upgrade adds one).
    """
    for replacement in replacements():
        if apps.is_installed(".".join(replacement.module.split(".")[:2])):
            module = importlib.import_module(replacement.module)
            setattr(module, replacement.name, replacement.ours)


def modules_with_allauths_originals() -> list[str]:
    """`module.name` of every loaded allauth module still holding one of
    allauth's functions that ours replace."""
    stale = set()
    for replacement in replacements():
        if replacement.everywhere:
            modules = [m for m in list(sys.modules) if m.startswith("allauth.")]
        else:
            modules = [replacement.module] if replacement.module in sys.modules else []
        stale |= {
            f"{name}.{replacement.name}"
            for name in modules
            if getattr(sys.modules[name], replacement.name, None)
            is replacement.original
        }
    return sorted(stale)
