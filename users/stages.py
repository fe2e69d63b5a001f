"""Our login stages, in place of allauth's where its behaviour is not ours."""

from __future__ import annotations

from allauth.account import stages
from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.email_verification import (
    add_email_verification_sent_message,
)
from django.contrib.auth.hashers import make_password
from django.utils.crypto import get_random_string


class EmailVerificationStage(stages.EmailVerificationStage):
    """allauth's email verification, answering a signup with a taken address
    exactly as it answers a fresh one.

    allauth sends the "account already exists" mail only when its one-per-
    three-minutes verification limit allows, so the owner of an address that
    was just signed up with never learns of the second signup. Here it goes
    out under a limit of its own (`AccountAdapter.send_account_already_exists_mail`),
    after the same password hash a new account costs, so neither the mail
    nor the response time tells the two apart.
    """

    def handle(self):
        login = self.login
        if login.user is not None or not login.signup or not login.email:
            return super().handle()
        # The work a new account does: hashing the password it chose.
        make_password(get_random_string(32))
        adapter = get_adapter(self.request)
        adapter.send_account_already_exists_mail(login.email)
        add_email_verification_sent_message(self.request, login.email, signup=True)
        return adapter.respond_email_verification_sent(self.request, None), True
