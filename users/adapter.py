"""The allauth account adapter: the one seam for our account behaviour.

Beside rendering every email into the outbox, it canonicalises and locks
addresses while a signup checks them, counts failed logins per canonical
address, answers a signup with a taken address as a fresh one, limits
verification mails per account and address, and records what
users/verification.py needs to keep an account with whoever holds its
mailbox.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast, override
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal import flows
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mail import outbox
from users import deliverability, emails, reauthentication, verification
from users.addresses import canonical_email, stored_spelling
from users.models import User
from users.ownership import owner_of

if TYPE_CHECKING:
    from django.core.mail import EmailMessage
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
            # The sign-off links to the service (account/email/base_message.txt).
            "site_url": request.build_absolute_uri("/"),
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
            if isinstance(ctx.get("timestamp"), datetime):
                # allauth's notices and ours print it: with its zone, or a
                # reader nine hours east takes it for their own time.
                ctx["timestamp"] = emails.time_with_zone(ctx["timestamp"])
            message = self.render_mail(template_prefix, email, ctx)
        kind = emails.kind_of(template_prefix)
        if kind == emails.Kind.ACCOUNT_ALREADY_EXISTS:
            queue_once_a_period(message, kind)
        else:
            outbox.enqueue(message, kind=kind)

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

    # --- Failed logins ------------------------------------------------------

    def _get_login_attempts_cache_key(self, request, **credentials: Any) -> str:
        """The account whose failed logins count: the canonical address alone.

        allauth prefixes the address with the current site's domain, which,
        without django.contrib.sites, is the request's Host header: every
        port ALLOWED_HOSTS lets through would start a fresh count, and so
        would every other spelling of the address. allauth builds the key of
        the "login_failed" limit here, and clears it (after a password reset)
        with the same key.
        """
        # A login that is no address at all still counts, lowercased.
        return stored_spelling(
            credentials.get("email") or credentials.get("username") or ""
        )

    # --- A signup with a taken address --------------------------------------

    def send_account_already_exists_mail(self, email: str) -> None:
        """Tell the owner of a taken address that someone signed up with it.

        When that account was never verified, the mail carries a verification
        link: whoever holds the mailbox confirms it and chooses the password,
        and the password typed at the first signup stops working. Every such
        signup is answered by a mail sent after it, at most one a period
        (`queue_once_a_period`), apart from the verification mails' limit.
        """
        request = allauth_context.request
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
            action=deliverability.VERIFICATION_LIMIT,
            key=deliverability.verification_limit_key(address.user_id, address.email),
        ):
            # The link sent moments ago still works; the page says when
            # another may be asked for (add_message), instead of "sent".
            request.verification_held_back = address
            return
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
        with deliverability.asked_by_hand(request, address):
            super().send_confirmation_mail(request, emailconfirmation, signup)

    @override
    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ) -> None:
        if getattr(request, "verification_quiet", False) and message_template == (
            "account/messages/email_confirmation_sent.txt"
        ):
            return  # the page that asked says it (users/deliverability.py)
        held_back = getattr(request, "verification_held_back", None)
        if (
            held_back is not None
            and message_template == "account/messages/email_confirmation_sent.txt"
        ):
            level, message = (
                messages.INFO,
                deliverability.held_back_message(request, held_back),
            )
        super().add_message(
            request, level, message_template, message_context, extra_tags, message
        )

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """Verify by link: first what the address's other rows settle
        (users/verification.py), then allauth's way, unless that already
        settled it."""
        settled = verification.confirm_address(request, email_address)
        if settled is not None:
            return settled
        return super().confirm_email(request, email_address)

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        """After a change of password, the profile, where the message says so
        (allauth would show the change form again)."""
        return reverse("profile")

    def get_login_stages(self) -> list[str]:
        return [
            "users.stages.EmailVerificationStage"
            if path == "allauth.account.stages.EmailVerificationStage"
            else path
            for path in super().get_login_stages()
        ]

    # --- Reauthentication ---------------------------------------------------

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """allauth's answer, except for an account with neither password nor
        second factor: allauth would count it as reauthenticated, and here it
        proves its mailbox first (users/reauthentication.py).

        Raised, not answered: allauth asks this before its own check, which
        would pass such an account whatever this returns.
        """
        required = super().is_reauthentication_required(app=app, **kwargs)
        request = allauth_context.request
        if required and reauthentication.must_prove_mailbox(request, request.user):
            raise ReauthenticationRequired
        return required

    def get_reauthentication_methods(self, user):
        """allauth's methods; for an account with none, a code by email."""
        methods = super().get_reauthentication_methods(user)
        if not methods and reauthentication.needs_mailed_code(user):
            methods.append(
                {
                    "id": reauthentication.FLOW,
                    "description": _("Use a code sent by email"),
                    "url": reverse("reauthenticate_by_code"),
                }
            )
        return methods

    def get_email_verification_redirect_url(self, email_address: EmailAddress) -> str:
        """After a verification that discarded the signup password, straight to
        choosing one (users/verification.py)."""
        # A valid link was followed: it reached the mailbox, whether or not
        # the address needed verifying (users/deliverability.py).
        deliverability.link_followed(email_address)
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


# At most one "account already exists" mail goes to an address in each of
# these periods (of the clock: three an hour).
ALREADY_EXISTS_PERIOD = 20 * 60


def queue_once_a_period(message: EmailMessage, kind: str) -> None:
    """Queue `message` so that its recipient gets one in this period, or else
    one at the start of the next, and never more than one a period.

    A signup with a taken address must always be answered by a way in, even
    when someone else's signups with that address came first; and those
    signups must not flood the mailbox. So the first signup of a period is
    mailed at once; the next ones share one mail, held back until the next
    period begins, which is still sent after each of them.
    """
    period = int(time.time() // ALREADY_EXISTS_PERIOD)
    if outbox.enqueue(message, kind=kind, key=str(period)):
        return
    start = datetime.fromtimestamp((period + 1) * ALREADY_EXISTS_PERIOD, tz=UTC)
    outbox.enqueue(message, kind=kind, key=str(period + 1), send_at=start)


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
