"""Which account an email address belongs to.

An address belongs to the account that verified it. Until someone verifies
it, it belongs only to the account that signed up with it (`User.email`); a
copy that another account merely added proves nothing and opens nothing.
Login, password resets and the signup's "is it taken?" ask `owner_of`.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress

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
