"""Our login stages, in place of allauth's where its behaviour is not ours."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account import stages
from allauth.account.adapter import get_adapter
from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.internal.flows.email_verification import (
    add_email_verification_sent_message,
    send_verification_email_to_address,
)
from django.contrib.auth.hashers import make_password
from django.utils.crypto import get_random_string

from users.ownership import address_verified

if TYPE_CHECKING:
    from allauth.account.models import EmailAddress


class EmailVerificationStage(stages.EmailVerificationStage):
    """allauth's email verification, answering a signup with a taken address
    exactly as it answers a fresh one.

    allauth sends the "account already exists" mail only when its one-per-
    three-minutes verification limit allows, so the owner of an address that
    was just signed up with never learns of the second signup. Here it goes
    out under a rule of its own (`AccountAdapter.send_account_already_exists_mail`),
    after the same password hash a new account costs, so neither the mail
    nor the response time tells the two apart.
    """

    def handle(self):
        login = self.login
        adapter = get_adapter(self.request)
        if login.user is not None and address_verified(login.user, login.email):
            # The account came from `owner_of`, which found the address
            # verified: nothing to ask the database again.
            return None, True
        address = self._new_signups_address()
        if address is not None:
            # What allauth does for a new account, with the address it was
            # just given rather than that address read back.
            if adapter.should_send_confirmation_mail(
                self.request, address, signup=True
            ):
                send_verification_email_to_address(self.request, address, signup=True)
            return adapter.respond_email_verification_sent(
                self.request, login.user
            ), True
        if login.user is not None or not login.signup or not login.email:
            return super().handle()
        # The work a new account does: hashing the password it chose.
        make_password(get_random_string(32))
        adapter.send_account_already_exists_mail(login.email)
        add_email_verification_sent_message(self.request, login.email, signup=True)
        return adapter.respond_email_verification_sent(self.request, None), True

    def _new_signups_address(self) -> EmailAddress | None:
        """The address a signup in this request just gave its new account
        (users/signup.py), if verification is what it needs next."""
        login = self.login
        if (
            not login.signup
            or login.user is None
            or login.email_verification != EmailVerificationMethod.MANDATORY
        ):
            return None
        addresses = getattr(login.user, "_emailaddress_cache", None) or []
        if len(addresses) != 1 or not getattr(addresses[0], "owner_is_its_user", False):
            return None
        return None if addresses[0].verified else addresses[0]
