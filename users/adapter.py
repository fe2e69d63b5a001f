"""The allauth account adapter: the one seam for our account behaviour.

Beside rendering every email into the outbox, it holds the rules that keep
one mailbox to one account, and that account to whoever owns the mailbox:

- Addresses are canonicalised and locked while a signup checks them.
- A password chosen at signup opens the account only once the address is
  verified in the same browser or app session that signed up. A
  verification completed anywhere else proves control of the mailbox, not
  agreement with whoever typed that password: the password is discarded and
  the mailbox holder chooses one.
- An address belongs to the account that verified it (`users.addresses`):
  only that account receives its password resets, and verifying it removes
  the unverified copies other accounts added, whose owners are told.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.internal import flows
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.core.internal.httpkit import is_headless_request
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mail import outbox
from users import emails
from users.addresses import canonical_email
from users.models import User
from users.ownership import owner_of

if TYPE_CHECKING:
    from django.http import HttpRequest

MAX_EMAIL_LENGTH = cast("int", User._meta.get_field("email").max_length)
# Session key: the account this browser or app session signed up.
SIGNED_UP_USER = "users_signed_up_user"
# Session key: the account whose password was just discarded, to choose one.
CHOOSE_PASSWORD = "users_choose_password"  # noqa: S105 (a session key)


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        email = canonical_email(email)
        # allauth would silently cut a longer address to the column's length
        # and create an account for an address nobody typed.
        if len(email) > MAX_EMAIL_LENGTH:
            raise ValidationError(
                _("Enter an email address of at most %(max)d characters.")
                % {"max": MAX_EMAIL_LENGTH}
            )
        email = super().clean_email(email)
        lock_address(email)
        return email

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render every account email in the request and put it in the outbox.

        Rendering here means links carry the service's origin. The outbox row
        commits with the request's transaction; the worker sends it, so the
        response never waits on SMTP.
        """
        email = canonical_email(email)
        request = allauth_context.request
        ctx: dict[str, Any] = {
            "request": request,
            "email": email,
            # allauth's templates greet from current_site.name: our name,
            # not the host name that Django's RequestSite would give; and
            # they sign off with the service's own host, never the Host
            # header's (project/middleware.py pins the origin).
            "current_site": SimpleNamespace(
                name=settings.SITE_NAME,
                domain=urlsplit(request.build_absolute_uri("/")).netloc,
            ),
        }
        ctx.update(context)
        with translation.override(emails.language_for(email)):
            message = self.render_mail(template_prefix, email, ctx)
        outbox.enqueue(message, kind=emails.kind_of(template_prefix))

    def render_mail(self, template_prefix, email, context, headers=None):
        message = super().render_mail(template_prefix, email, context, headers)
        return emails.with_html_alternative(message, context)

    def save_user(self, request, user, form, commit=True):  # noqa: FBT002 (allauth's)
        # Emails follow the language the person signed up in.
        user.language = emails.supported_language(translation.get_language())
        user = super().save_user(request, user, form, commit)
        request.session[SIGNED_UP_USER] = user.pk
        return user

    # --- A signup with a taken address --------------------------------------

    def send_account_already_exists_mail(self, email: str) -> None:
        """Tell the owner of a taken address that someone signed up with it.

        When that account was never verified, the mail carries a verification
        link: whoever holds the mailbox confirms it and chooses the password,
        and the password typed at the first signup stops working. The mail
        has a rate limit of its own, so a verification mail sent moments
        before never swallows it.
        """
        request = allauth_context.request
        if not ratelimit.consume(request, action="account_already_exists", key=email):
            return
        owner = owner_of(email)
        context = {
            "signup_url": flows.signup.get_signup_url(request),
            "password_reset_url": flows.password_reset.get_reset_password_url(request),
        }
        address = _unverified_signup_address(owner, email) if owner else None
        if address is not None:
            context["activate_url"] = self.get_email_confirmation_url(
                request, EmailConfirmationHMAC(address)
            )
        self.send_mail("account/email/account_already_exists", email, context)

    # --- Verification -------------------------------------------------------

    def send_confirmation_mail(self, request, emailconfirmation, signup) -> None:
        """Send a verification link, at most one per account and address every
        three minutes ("verification_email"), unless staff ask for it.

        allauth's own cooldown ("confirm_email", turned off in settings)
        counts per address alone: anyone adding a stranger's address to their
        own account could hold back that stranger's verification mails.
        """
        address = emailconfirmation.email_address
        if not emails.verification_limit_is_lifted() and not ratelimit.consume(
            request,
            action="verification_email",
            key=f"{address.user_id}:{address.email}",
        ):
            return  # the link sent moments ago still works
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        user = email_address.user
        first_verification = not EmailAddress.objects.filter(
            user=user, verified=True
        ).exists()
        if not super().confirm_email(request, email_address):
            return False
        self._remove_unverified_copies(email_address)
        signed_up_here = request.session.get(SIGNED_UP_USER) == user.pk
        if signed_up_here:
            del request.session[SIGNED_UP_USER]
        if first_verification and user.has_usable_password() and not signed_up_here:
            self._discard_signup_password(request, user)
        return True

    def verify_by_password_reset(self, request: HttpRequest, user: User) -> None:
        """A completed password reset proves its reader holds the mailbox the
        link went to: for an account that has verified nothing yet, the
        address it signed up with (resets go nowhere else, see
        `send_password_reset_mail`). Verify it, keeping the password just
        chosen. Connected to allauth's `password_reset` signal."""
        address = _unverified_signup_address(user, user.email)
        if address is not None and super().confirm_email(request, address):
            self._remove_unverified_copies(address)

    def _remove_unverified_copies(self, address: EmailAddress) -> None:
        """Once an address is verified, other accounts that only added it lose
        it, and their owners are told."""
        copies = EmailAddress.objects.filter(
            email=address.email, verified=False
        ).exclude(user_id=address.user_id)
        for copy in copies.select_related("user"):
            copy.delete()
            self.send_notification_mail(
                "account/email/email_claimed_elsewhere",
                copy.user,
                {"claimed_email": address.email},
            )

    def get_login_stages(self) -> list[str]:
        return [
            "users.stages.EmailVerificationStage"
            if path == "allauth.account.stages.EmailVerificationStage"
            else path
            for path in super().get_login_stages()
        ]

    def _discard_signup_password(self, request: HttpRequest, user: User) -> None:
        """The address was verified outside the session that signed up: the
        password typed there is nobody's proven secret. Drop it; the mailbox
        holder chooses one. A new password hash ends every session of the
        account, and every token issued to one."""
        user.set_unusable_password()
        user.save(update_fields=["password"])
        if is_headless_request(request):
            # The front end cannot be redirected from here: mail the way on.
            flows.password_reset.request_password_reset(
                request, user.email, [user], None
            )
        else:
            # get_email_verification_redirect_url, later in this request,
            # sends them to choose one.
            request.session[CHOOSE_PASSWORD] = user.pk

    def get_email_verification_redirect_url(self, email_address: EmailAddress) -> str:
        if self.request.session.pop(CHOOSE_PASSWORD, None) != email_address.user_id:
            return super().get_email_verification_redirect_url(email_address)
        user = email_address.user
        self.add_message(
            self.request,
            messages.INFO,
            message=_("Your address is verified. Choose a password to sign in."),
        )
        token = account_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
        return reverse(
            "account_reset_password_from_key",
            kwargs={"uidb36": user_pk_to_url_str(user), "key": token},
        )

    # --- Password reset -----------------------------------------------------

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        """Only the account an address belongs to is reset through it.

        allauth offers every account holding the address, verified or not;
        an address that another account merely added must not open it.
        """
        owner = owner_of(email)
        if owner is None:
            flows.signup.send_unknown_account_mail(self.request, email)
        elif owner.pk == user.pk:
            super().send_password_reset_mail(user, email, context)


def _unverified_signup_address(user: User, email: str) -> EmailAddress | None:
    """The address `user` signed up with, while it is still unverified."""
    if EmailAddress.objects.filter(user=user, verified=True).exists():
        return None
    return EmailAddress.objects.filter(user=user, email=email).first()


def lock_address(email: str) -> None:
    """Serialise concurrent signups for one address until the first commits.

    allauth checks that an address is free, then inserts the user. Two
    signups racing between those steps would both pass the check and the
    second would hit the unique constraint as a 500. Under this lock the
    second waits, then sees the first's committed account and answers as
    for any taken address. The lock is PostgreSQL's, held until the
    request's transaction ends (ATOMIC_REQUESTS); elsewhere it is a no-op.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"signup:{email}"],
        )


def verify_by_password_reset(
    sender, request: HttpRequest, user: User, **kwargs
) -> None:
    """Receiver of allauth's `password_reset` signal (users/apps.py)."""
    get_adapter(request).verify_by_password_reset(request, user)
