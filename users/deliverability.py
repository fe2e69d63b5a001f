"""What mail that did not arrive means to the person: account policy over the
outbox's undeliverable addresses (mail/suppression.py).

- A person is told, on every sign-in and on the email page, when an address
  of theirs is undeliverable ("we couldn't deliver to this address"), with
  the way on: change to another address, or, once they have fixed the
  mailbox, ask for a verification email by hand.
- What a signed-in person asks for by hand about their own address goes
  out even to an undeliverable one: a verification email sent again
  (`outbox.requested_by_hand`); for an address verified already, "try it
  again" (they fixed the mailbox) lets mail go to it until it bounces again.
- Proving the mailbox again clears it: verifying the address (or following
  a verification link to it, verified already or not), or completing a
  password reset mailed to it. So a reset to an address verified since the
  bounce is never blocked.
- The truth about verification emails (`verification_mail`): when the last
  one was sent and whether it went, where it comes from, what to check, and
  from when another may be asked for, as a time rather than a vague error.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal import stagekit
from allauth.account.internal.flows import email_verification
from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit as allauth_ratelimit
from allauth.core.internal.httpkit import is_headless_request
from django.contrib import messages
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from mail import outbox, suppression
from mail.messages import from_address
from mail.models import OutgoingEmail, Suppression
from users import rate_limits
from users.emails import Kind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.http import HttpRequest

    from users.models import User

# The rate limit (ACCOUNT_RATE_LIMITS) on verification emails, per account
# and address (users/adapter.py).
VERIFICATION_LIMIT = "verification_email"


def verification_limit_key(user_id: object, email: str) -> str:
    return f"{user_id}:{email}"


# --- Clearing, and mail asked for by hand -------------------------------------


def on_email_confirmed(
    sender: object, request: HttpRequest, email_address: EmailAddress, **kwargs: object
) -> None:
    """Receiver of allauth's `email_confirmed`: the mailbox works again."""
    suppression.clear(email_address.email, by="verified again")


def on_password_reset(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """Receiver of allauth's `password_reset`: the link reached the mailbox."""
    suppression.clear(user.email, by="password reset")


def retry_address(user: User, email: str) -> bool:
    """The owner asks, by hand, to be written to at `email` again, having
    fixed the mailbox; whether it was theirs and undeliverable."""
    if not EmailAddress.objects.filter(user=user, email=email.lower()).exists():
        return False
    return suppression.clear(email, by="its owner, by hand")


def link_followed(address: EmailAddress) -> None:
    """Someone followed a verification link mailed to `address`: it takes
    mail. (Verifying an address that already was one changes nothing else,
    so `email_confirmed` never comes for it.)"""
    suppression.clear(address.email, by="verification link followed")


@contextlib.contextmanager
def asked_by_hand(request: HttpRequest, address: EmailAddress) -> Iterator[None]:
    """Mail sent inside goes out even to an undeliverable address, when the
    signed-in owner of `address` asked for it (a verification sent again
    from the email page, a new address added); otherwise as usual."""
    user = getattr(request, "user", None)
    if (
        user is not None
        and user.is_authenticated
        and user.pk == address.user_id
        and request.method == "POST"
    ):
        with outbox.requested_by_hand():
            yield
    else:
        yield


# --- Telling the person ---------------------------------------------------------


def undeliverable_addresses(user: User) -> dict[str, Suppression]:
    emails = EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    return suppression.undeliverable([user.email, *emails])


def on_user_logged_in(
    sender: object, request: HttpRequest, user: User, **kwargs: object
) -> None:
    """Receiver of allauth's `user_logged_in`: an undeliverable address of
    the account is news at every sign-in, until it is fixed. A password
    sign-in knows already whether the address it used is (no query more);
    other sign-ins look at every address of the account."""
    if is_headless_request(request):
        return
    known = getattr(user, "address_undeliverable", None)
    if known is False:
        return  # a password sign-in looked it up already (users/ownership.py)
    for address in sorted(undeliverable_addresses(user)):
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _(
                    "We couldn't deliver email to %(email)s: the mailbox "
                    "refused it or marked it as spam, so we have stopped "
                    "sending to it."
                )
                % {"email": address},
                reverse("account_email"),
                _("Change to another address, or send a verification again"),
            ),
        )


# --- The truth about verification emails ----------------------------------------


@dataclass(frozen=True)
class VerificationMail:
    """What a person asking for a verification email again should know."""

    address: str
    sender: str  # the From: of our mail
    last_queued: datetime | None  # when the last one was asked for
    last_sent: datetime | None  # when it left us
    status: str  # of that last one: OutgoingEmail.Status, or ""
    undeliverable: Suppression | None
    next_allowed: datetime | None  # None: another may be asked for now

    @property
    def wait(self) -> timedelta | None:
        if self.next_allowed is None:
            return None
        return self.next_allowed - timezone.now()


def verification_mail(
    request: HttpRequest, user_id: object, email: str
) -> VerificationMail:
    last = (
        OutgoingEmail.objects.filter(to=email.lower(), kind=Kind.VERIFICATION)
        .only("created_at", "sent_at", "status")
        .order_by("-created_at")
        .first()
    )
    return VerificationMail(
        address=email,
        sender=from_address(),
        last_queued=last.created_at if last else None,
        last_sent=last.sent_at if last else None,
        status=last.status if last else "",
        undeliverable=suppression.undeliverable([email]).get(email.lower()),
        next_allowed=limit_ends(
            request, VERIFICATION_LIMIT, verification_limit_key(user_id, email)
        ),
    )


def limit_ends(request: HttpRequest, action: str, key: str) -> datetime | None:
    """When allauth's rate limit `action` on `key` lets one more through;
    None if it does now. Read from allauth's own record of the hits."""
    latest = None
    for rate in allauth_ratelimit.get_rates(app="allauth.account", action=action):
        cache_key = allauth_ratelimit.get_cache_key(
            request, app="allauth.account", action=action, rate=rate, key=key
        )
        history = [
            t
            for t in rate_limits.hits(cache_key)
            if t > timezone.now().timestamp() - rate.duration
        ]
        if len(history) >= rate.amount:
            # Newest first: the oldest hit that still counts frees a place.
            ends = history[rate.amount - 1] + rate.duration
            latest = max(latest or ends, ends)
    if latest is None:
        return None
    return datetime.fromtimestamp(latest, tz=timezone.get_current_timezone())


def time_of(moment: datetime) -> str:
    """A time as people read it on a page: 14:05 UTC."""
    local = timezone.localtime(moment)
    return f"{formats.time_format(local, 'H:i')} {local.tzname()}"


def held_back_message(request: HttpRequest, address: EmailAddress) -> str:
    """Instead of "sent", when the rate limit held a verification email back."""
    mail = verification_mail(request, address.user_id, address.email)
    if mail.next_allowed is None:  # the limit ran out meanwhile
        return _("Ask again: the verification email can be sent now.")
    return _(
        "We sent a verification email to %(email)s a moment ago, and its "
        "link still works. You can ask for another at %(time)s."
    ) % {"email": address.email, "time": time_of(mail.next_allowed)}


# --- The confirmation-sent page, before anyone is signed in ----------------------

# Session key: when this session last asked for the email again. Its limit
# is the session's own, the same whether or not the address has an account,
# so the page tells nobody which addresses do.
RESENT_AT = "users_verification_resent_at"
RESEND_INTERVAL = timedelta(minutes=3)


@dataclass(frozen=True)
class PendingVerification:
    """The address a signup (or a sign-in) in this session waits on."""

    address: str
    sender: str
    asked_at: datetime  # the signup or sign-in, or the last "send it again"
    next_allowed: datetime | None


def pending_verification(request: HttpRequest) -> PendingVerification | None:
    login = stagekit.unstash_login(request, peek=True)
    email = (login.email or getattr(login.user, "email", "")) if login else ""
    if not email:
        return None
    asked = max(login.initiated_at, request.session.get(RESENT_AT, 0))
    asked_at = datetime.fromtimestamp(asked, tz=timezone.get_current_timezone())
    # Counted from the signup's own email too: allauth's per-address limit
    # (verification_email) would hold back one asked for sooner, and the
    # page would say "sent" of an email that never left.
    ends = asked_at + RESEND_INTERVAL
    next_allowed = ends if ends > timezone.now() else None
    return PendingVerification(email, from_address(), asked_at, next_allowed)


def resend_pending(request: HttpRequest) -> str:
    """Send the pending verification again; what to tell the person.

    A real account gets a verification link (under its own limit as well);
    an address someone else holds gets the "account already exists" mail,
    as the signup did. The answer is the same either way."""
    pending = pending_verification(request)
    if pending is None:
        return _("There is no verification waiting here: sign in again.")
    if pending.next_allowed is not None:
        return _("You can ask for another email at %(time)s.") % {
            "time": time_of(pending.next_allowed)
        }
    request.session[RESENT_AT] = timezone.now().timestamp()
    login = stagekit.unstash_login(request, peek=True)
    assert login is not None
    address = (
        EmailAddress.objects.filter(user=login.user, email=pending.address).first()
        if login.user
        else None
    )
    # The adapter says nothing of its own: this page says it, once.
    request.verification_quiet = True  # type: ignore[attr-defined]
    # The session that typed the address asks again, by hand: it goes out
    # even to an address that bounced before (the mailbox may be fixed).
    with outbox.requested_by_hand():
        if address is not None:
            if not address.verified:
                email_verification.send_verification_email_to_address(request, address)
        else:
            get_account_adapter(request).send_account_already_exists_mail(
                pending.address
            )
    return _(
        "We sent the email to %(email)s again at %(time)s. It can take a few "
        "minutes to arrive."
    ) % {"email": pending.address, "time": time_of(timezone.now())}
