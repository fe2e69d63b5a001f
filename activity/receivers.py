"""allauth's and Django's signals, each written as a security event.

Each receiver runs in the transaction of the change it records
(ATOMIC_REQUESTS), except where allauth itself sends the signal after the
commit (second factors added: allauth's on_commit).
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa import signals as mfa
from allauth.socialaccount import signals as social
from django.contrib.auth import signals as auth

from activity.devices import note_sign_in
from activity.events import Type, new_event, record
from users.ownership import owner_of


def signed_up(request, user, **kwargs: Any) -> None:
    record(Type.SIGNUP, user, request)


def logged_in(request, user, **kwargs: Any) -> None:
    records = get_authentication_records(request, user)
    methods = sorted({r["method"] for r in records}) if records else []
    # The event is written by the statement that looks the device up; it
    # holds the client's address and browser already.
    event = new_event(Type.LOGIN, user, request, methods=methods)
    note_sign_in(request, user, event.ip or "", event.user_agent, event=event)


def login_failed(credentials: dict, request=None, **kwargs: Any) -> None:
    """Only for an account that exists: a guess at an unknown address is no
    account's activity."""
    email = credentials.get("email") or credentials.get("username")
    user = owner_of(email) if email else None
    if user is not None:
        record(Type.LOGIN_FAILED, user, request)


def second_factor_failed(request, user, authenticator, **kwargs: Any) -> None:
    record(Type.LOGIN_FAILED, user, request, step="second_factor")


def logged_out(request, user, **kwargs: Any) -> None:
    # A deleted account's last sign-out is part of its deletion.
    if user is not None and user.pk is not None:
        record(Type.LOGOUT, user, request)


def password_changed(request, user, **kwargs: Any) -> None:
    record(Type.PASSWORD_CHANGED, user, request)


def password_reset(request, user, **kwargs: Any) -> None:
    record(Type.PASSWORD_RESET, user, request)


def email_confirmed(request, email_address, **kwargs: Any) -> None:
    record(Type.EMAIL_VERIFIED, email_address.user, request, email=email_address.email)


def email_added(request, user, email_address, **kwargs: Any) -> None:
    record(Type.EMAIL_ADDED, user, request, email=email_address.email)


def email_changed(request, user, from_email_address, to_email_address, **kwargs):
    # With ACCOUNT_CHANGE_EMAIL, allauth also says "changed" when a first
    # address is verified: no change, and email_verified already says it.
    if from_email_address is None:
        return
    record(
        Type.EMAIL_CHANGED,
        user,
        request,
        old=from_email_address.email,
        new=to_email_address.email,
    )


def email_removed(request, user, email_address, **kwargs: Any) -> None:
    record(Type.EMAIL_REMOVED, user, request, email=email_address.email)


def authenticator_added(request, user, authenticator, **kwargs: Any) -> None:
    record(Type.MFA_ENABLED, user, request, kind=authenticator.type)


def authenticator_removed(request, user, authenticator, **kwargs: Any) -> None:
    record(Type.MFA_DISABLED, user, request, kind=authenticator.type)


def authenticator_reset(request, user, authenticator, **kwargs: Any) -> None:
    record(Type.RECOVERY_CODES_REGENERATED, user, request)


def provider_connected(request, sociallogin, **kwargs: Any) -> None:
    account = sociallogin.account
    record(
        Type.PROVIDER_CONNECTED,
        sociallogin.user,
        request,
        provider=account.provider,
        provider_name=account.get_provider().name,
    )


def provider_disconnected(request, socialaccount, **kwargs: Any) -> None:
    record(
        Type.PROVIDER_DISCONNECTED,
        socialaccount.user,
        request,
        provider=socialaccount.provider,
        provider_name=socialaccount.get_provider().name,
    )


def connect() -> None:
    """Called once, from ActivityConfig.ready()."""
    account.user_signed_up.connect(signed_up)
    account.user_logged_in.connect(logged_in)
    auth.user_login_failed.connect(login_failed)
    mfa.authentication_failed.connect(second_factor_failed)
    auth.user_logged_out.connect(logged_out)
    account.password_changed.connect(password_changed)
    account.password_set.connect(password_changed)
    account.password_reset.connect(password_reset)
    account.email_confirmed.connect(email_confirmed)
    account.email_added.connect(email_added)
    account.email_changed.connect(email_changed)
    account.email_removed.connect(email_removed)
    mfa.authenticator_added.connect(authenticator_added)
    mfa.authenticator_removed.connect(authenticator_removed)
    mfa.authenticator_reset.connect(authenticator_reset)
    social.social_account_added.connect(provider_connected)
    social.social_account_removed.connect(provider_disconnected)
