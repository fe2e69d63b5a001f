"""What verifying an address settles, however it was verified.

allauth verifies an address by an emailed link, by a login code, after a
social login, or when staff mark it; each sends `email_confirmed`, whose
receiver here (connected in users/apps.py) settles two things:

- A password typed at signup (`User.password_unproven`) proves nothing about
  who holds the mailbox. It survives only a verification in the browser or
  app session that signed up; anywhere else the password is discarded, which
  ends every session and token of the account, and the mailbox holder
  chooses one (on the page, straight away; over the API, by a mailed link).
- Other accounts that merely added the address lose it, and are told.

A completed password reset verifies a never-verified account's own address
too: the reset link proved the mailbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from allauth.account.internal import flows
from allauth.account.models import EmailAddress
from allauth.core.internal.httpkit import is_headless_request

if TYPE_CHECKING:
    from django.http import HttpRequest

    from users.models import User

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
    if is_headless_request(request):
        # A front end cannot be redirected from here: mail the way on.
        flows.password_reset.request_password_reset(request, user.email, [user], None)
    else:
        # AccountAdapter.get_email_verification_redirect_url reads this.
        request.session[CHOOSE_PASSWORD] = user.pk


def remove_unverified_copies(address: EmailAddress) -> None:
    """Other accounts that only added a now verified address lose it."""
    copies = EmailAddress.objects.filter(email=address.email, verified=False).exclude(
        user_id=address.user_id
    )
    adapter = get_adapter()
    for copy in copies.select_related("user"):
        copy.delete()
        adapter.send_notification_mail(
            "account/email/email_claimed_elsewhere",
            copy.user,
            {"claimed_email": address.email},
        )


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
