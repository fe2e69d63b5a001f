"""What verifying an address settles, however it was verified.

allauth verifies an address by an emailed link, by a login code, after a
social login, or when staff mark it; each sends `email_confirmed`, whose
receiver here (connected in users/apps.py) settles two things:

- A password typed at signup (`User.password_unproven`) proves nothing about
  who holds the mailbox. It survives only a verification in the browser or
  app session that signed up; anywhere else the password is discarded, which
  ends every session and token of the account, and the mailbox holder
  chooses one (on the page, straight away; over the API, by a mailed link).
  A sign-in provider a signup came with, its address unverified, goes the
  same way.
- Other accounts that merely added the address lose it, and are told.

A completed password reset verifies a never-verified account's own address
too: the reset link proved the mailbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account import app_settings as account_settings
from allauth.account import signals as account_signals
from allauth.account.adapter import get_adapter
from allauth.account.internal import flows
from allauth.account.internal.flows.manage_email import emit_email_changed
from allauth.account.models import EmailAddress
from allauth.core.internal.httpkit import is_headless_request
from allauth.socialaccount.models import SocialAccount
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q

from users.models import User

if TYPE_CHECKING:
    from django.http import HttpRequest

# Session key: the account this browser or app session signed up.
SIGNED_UP_USER = "users_signed_up_user"
# Session key: the account whose password was just discarded, to choose one.
CHOOSE_PASSWORD = "users_choose_password"  # noqa: S105 (a session key)


def on_email_confirmed(
    sender: object, request: HttpRequest, email_address: EmailAddress, **kwargs: object
) -> None:
    """Receiver of allauth's `email_confirmed` signal."""
    user = email_address.user
    if user.password_unproven:
        settle_signup_password(request, user)
    remove_unverified_copies(email_address)


def settle_signup_password(request: HttpRequest, user: User) -> None:
    """Keep the signup password when verified where it was typed; else drop it."""
    user.password_unproven = False
    if request.session.get(SIGNED_UP_USER) == user.pk:
        del request.session[SIGNED_UP_USER]
        user.save(update_fields=["password_unproven"])
        return
    # A new (unusable) hash: every session and JWT of the account fails
    # Django's session hash check from here on.
    user.set_unusable_password()
    user.save(update_fields=["password", "password_unproven"])
    # A sign-in provider the signup came with is as unproven as a typed
    # password (social/): whoever holds the provider identity did not
    # verify the address.
    SocialAccount.objects.filter(user=user).delete()
    if is_headless_request(request):
        # A front end cannot be redirected from here: mail the way on.
        flows.password_reset.request_password_reset(request, user.email, [user], None)
    else:
        # AccountAdapter.get_email_verification_redirect_url reads this.
        request.session[CHOOSE_PASSWORD] = user.pk


def remove_unverified_copies(address: EmailAddress) -> None:
    """Other accounts that only added a now verified address lose it."""
    if getattr(address, "copies_removed", False):
        return  # confirm_address did, in the same request
    copies = EmailAddress.objects.filter(email=address.email, verified=False).exclude(
        user_id=address.user_id
    )
    for copy in copies.select_related("user"):
        _take_away(copy, address)


def _take_away(copy: EmailAddress, verified: EmailAddress) -> None:
    copy.delete()
    get_adapter().send_notification_mail(
        "account/email/email_claimed_elsewhere",
        copy.user,
        {"claimed_email": verified.email},
    )


def confirm_address(request: HttpRequest, address: EmailAddress) -> bool | None:
    """Verifying `address` by link: what its other rows settle, in one query.

    The rows that share the address, and the account's other addresses:
    - another account verified it: the link cannot take it (False);
    - accounts that signed up with it and never verified anything are
      abandoned now that someone proved the mailbox, and go, so the address
      can be this account's primary;
    - other accounts' unverified copies go, and their owners are told.
    An account's only address, already its primary, is then verified here,
    in one UPDATE, with allauth's signals and message (True). Anything else
    is left to allauth (None).
    """
    rows = list(
        EmailAddress.objects.filter(Q(email=address.email) | Q(user_id=address.user_id))
        .select_related("user")
        .annotate(
            holder_verified_any=Exists(
                EmailAddress.objects.filter(user_id=OuterRef("user_id"), verified=True)
            )
        )
    )
    others = [r for r in rows if r.user_id != address.user_id]
    if any(r.verified for r in others):
        get_adapter(request).add_message(
            request,
            messages.ERROR,
            "account/messages/email_confirmation_failed.txt",
            {"email": address.email},
        )
        return False
    mine = next((r for r in rows if r.pk == address.pk), None)
    if mine is not None:
        address.user = mine.user  # no second query for the account
    abandoned = {
        r.user_id
        for r in others
        if r.user.email == address.email and not r.holder_verified_any
    }
    if abandoned:
        User.objects.filter(pk__in=abandoned).delete()
    for copy in others:
        if copy.user_id not in abandoned:
            _take_away(copy, address)
    address.copies_removed = True
    its_other_addresses = [
        r for r in rows if r.user_id == address.user_id and r.pk != address.pk
    ]
    if (
        its_other_addresses
        or not address.primary
        or address.user.email != address.email
    ):
        return None
    address.verified = True
    address.save(update_fields=["verified"])
    EmailAddress.objects.fill_cache_for_user(address.user, [address])
    account_signals.email_confirmed.send(
        sender=EmailAddress, request=request, email_address=address
    )
    if account_settings.CHANGE_EMAIL:
        emit_email_changed(request, None, address)
    get_adapter(request).add_message(
        request,
        messages.SUCCESS,
        "account/messages/email_confirmed.txt",
        {"email": address.email},
    )
    return True


def on_password_reset(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """Receiver of allauth's `password_reset` signal: a never-verified
    account's own address is verified by the reset that reached it."""
    if EmailAddress.objects.filter(user=user, verified=True).exists():
        return
    address = EmailAddress.objects.filter(user=user, email=user.email).first()
    if address is not None:
        flows.email_verification.verify_email(request, address)
