"""The allauth account adapter: the one seam for our account behaviour.

Beside rendering every email into the outbox, it canonicalises and locks
addresses while a signup checks them, answers a signup with a taken address
as a fresh one, limits verification mails per account and address, and
records what users/verification.py needs to keep an account with whoever
holds its mailbox.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal import flows
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mail import outbox
from users import emails, verification
from users.addresses import canonical_email
from users.models import User
from users.ownership import owner_of

if TYPE_CHECKING:
    from django.http import HttpRequest

MAX_EMAIL_LENGTH = cast("int", User._meta.get_field("email").max_length)


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
        # The account the mail is about, when it is the recipient's, knows
        # its language; else the address's owner is looked up.
        user = ctx.get("user")
        if isinstance(user, User) and user.email == email:
            language = user.language
        else:
            language = emails.language_for(email)
        with translation.override(language):
            message = self.render_mail(template_prefix, email, ctx)
        outbox.enqueue(message, kind=emails.kind_of(template_prefix))

    def render_mail(self, template_prefix, email, context, headers=None):
        message = super().render_mail(template_prefix, email, context, headers)
        return emails.with_html_alternative(message, context)

    def save_user(self, request, user, form, commit=True):  # noqa: FBT002 (allauth's)
        # Emails follow the language the person signed up in.
        user.language = emails.supported_language(translation.get_language())
        # Whoever typed the password has proven nothing yet: only verifying
        # the address in this session makes it theirs (users/verification.py).
        user.password_unproven = True
        user = super().save_user(request, user, form, commit)
        request.session[verification.SIGNED_UP_USER] = user.pk
        return user

    def set_password(self, user, password: str) -> None:
        """Every password set after signup (a reset, a change) was chosen by
        someone who proved the mailbox or was signed in."""
        user.password_unproven = False
        super().set_password(user, password)

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
        # A new identity from a sign-in provider reached this address: the
        # social app tells the owner its own way (social/linking.py).
        tell_owner_instead = getattr(request, "social_tell_owner_instead", None)
        if tell_owner_instead is not None and owner is not None:
            tell_owner_instead(owner, email)
            return
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
        # A signup's own new address is its account's (users/signup.py).
        owner = (
            None
            if getattr(address, "owner_is_its_user", False)
            else owner_of(address.email)
        )
        if owner is not None and owner.pk != address.user_id:
            # Another account's address: its owner is told instead, and the
            # page answers as for a free one (no enumeration).
            self.send_notification_mail(
                "account/email/email_in_use",
                owner,
                {"claimed_email": address.email},
                email=address.email,
            )
            return
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """Verify by link: first what the address's other rows settle
        (users/verification.py), then allauth's way, unless that already
        settled it."""
        settled = verification.confirm_address(request, email_address)
        if settled is not None:
            return settled
        return super().confirm_email(request, email_address)

    def get_login_stages(self) -> list[str]:
        return [
            "users.stages.EmailVerificationStage"
            if path == "allauth.account.stages.EmailVerificationStage"
            else path
            for path in super().get_login_stages()
        ]

    def get_email_verification_redirect_url(self, email_address: EmailAddress) -> str:
        """After a verification that discarded the signup password, straight to
        choosing one (users/verification.py)."""
        chosen_for = self.request.session.pop(verification.CHOOSE_PASSWORD, None)
        if chosen_for != email_address.user_id:
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
