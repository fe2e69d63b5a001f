"""The base of allauth's signup forms (ACCOUNT_SIGNUP_FORM_CLASS).

allauth builds both its signup page's form and its signup API input on top
of this class, so what it decides holds on every signup path. It lives apart
from `users.forms`, which imports allauth's forms: allauth imports this
module while defining them.
"""

from __future__ import annotations

from typing import Any

from django import forms

from users.ownership import owner_of


class SignupBase(forms.Form):
    """The base of allauth's signup form and signup API input
    (ACCOUNT_SIGNUP_FORM_CLASS), deciding whether an address is taken.

    allauth counts an address as taken when any account holds it, verified
    or not, so an address a stranger added to their own account would block
    its owner's signup. Only the account the address belongs to
    (`users.ownership.owner_of`) makes it taken.
    """

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        if email := cleaned_data.get("email"):
            self.account_already_exists = owner_of(email) is not None
        return cleaned_data

    def signup(self, request, user) -> None:
        """allauth's hook after a new account is saved; nothing to add."""
