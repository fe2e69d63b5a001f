"""The signup: the base of allauth's signup forms (ACCOUNT_SIGNUP_FORM_CLASS)
and the step that gives a new account its address.

allauth builds both its signup page's form and its signup API input on top
of `SignupBase`, so what it decides holds on every signup path. It lives
apart from `users.forms`, which imports allauth's forms: allauth imports
this module while defining them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account import utils as allauth_utils
from allauth.account.models import EmailAddress
from allauth.account.utils import user_email
from django import forms

if TYPE_CHECKING:
    from django.http import HttpRequest

    from users.models import User

# Where allauth's adapter stashes an address a signup proved already.
VERIFIED_EMAIL_KEY = "account_verified_email"


class SignupBase(forms.Form):
    """The base of allauth's signup form and signup API input
    (ACCOUNT_SIGNUP_FORM_CLASS).

    Whether the address is taken is decided by ownership
    (`users.ownership.assess_unique_email`, which allauth's form asks): an
    address a stranger merely added to their own account does not block
    its owner's signup.
    """

    def signup(self, request, user) -> None:
        """allauth's hook after a new account is saved; nothing to add."""


def setup_user_email(
    request: HttpRequest, user: User, addresses: list[EmailAddress]
) -> EmailAddress | None:
    """allauth's signup-form step that gives a new account its address.

    The address typed at signup was canonicalised, checked free by
    ownership and locked by the form (users/adapter.py), so it is saved as
    it is: the account's primary, unverified, in one INSERT, and kept on
    the account (allauth's own cache), so that what follows in the request
    (the verification mail, the login stages) asks the database nothing
    more about it. Anything else (an address allauth stashed as verified)
    takes allauth's way.
    """
    email = user_email(user)
    stashed = request.session.get(VERIFIED_EMAIL_KEY) if request else None
    typed = [a.email for a in addresses]
    if stashed or not email or typed not in ([], [email]):
        return allauth_utils.setup_user_email(request, user, addresses)
    address = EmailAddress(user=user, email=email, primary=True, verified=False)
    address.save()
    # The address is its account's: the verification mail need not ask.
    address.owner_is_its_user = True
    EmailAddress.objects.fill_cache_for_user(user, [address])
    return address
