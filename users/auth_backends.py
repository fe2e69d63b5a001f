"""Authentication backends: how a password login finds its account."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend

from users.ownership import owner_of


class EmailOwnerBackend(AuthenticationBackend):
    """allauth's backend, trying the password only on the account the address
    belongs to (`users.addresses.owner_of`).

    allauth tries it on every account holding the address, verified or not:
    an address someone added to their own account, unverified, would sign
    them in by it.
    """

    def _authenticate_by_email(self, email: str, password: str):
        return self._check_password(owner_of(email), password)
