"""A new identity whose address belongs to an account here: its owner is
told, and never signed in.

The person at the provider sees what anyone signing up with a taken address
sees ("check your email"), so a made-up identity tells no one which
addresses have accounts. The owner is mailed instead of allauth's "account
already exists": when the provider is trusted for email and asserted the
address, with a link to approve connecting the identity to the account
(proof of the mailbox, as a password reset is); otherwise with how to
connect it themselves, signed in, from the connections page.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.socialaccount import signals as social_signals
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from social.claims import verified_address
from social.models import APPROVAL_LIFETIME, PendingConnection
from users import verification

if TYPE_CHECKING:
    from django.http import HttpRequest

    from users.models import User

logger = logging.getLogger(__name__)

# The request attribute the account adapter asks (users/adapter.py).
TELL_OWNER = "social_tell_owner_instead"


def digest(key: str) -> str:
    return hashlib.sha256(f"social.approval:{key}".encode()).hexdigest()


def note_new_identity(request: HttpRequest, sociallogin: SocialLogin) -> None:
    """A new identity is signing in: should its address turn out to be an
    account's, mail that account's owner about it (not allauth's generic
    "account already exists")."""

    def tell_owner(owner: User, email: str) -> None:
        _tell_owner(request, sociallogin, owner, email)

    setattr(request, TELL_OWNER, tell_owner)


def _tell_owner(
    request: HttpRequest, sociallogin: SocialLogin, owner: User, email: str
) -> None:
    provider = sociallogin.provider
    context = {"provider_name": provider.name, "claimed_email": email}
    if verified_address(sociallogin) == email:
        key = secrets.token_urlsafe(32)
        PendingConnection.objects.create(
            key_digest=digest(key),
            user=owner,
            provider=sociallogin.account.provider,
            uid=sociallogin.account.uid,
            email=email,
            extra_data=sociallogin.account.extra_data or {},
        )
        context["approve_url"] = request.build_absolute_uri(
            reverse("social_approve_connection", args=[key])
        )
        template = "social/email/connect_approval"
    else:
        context["connections_url"] = request.build_absolute_uri(
            reverse("socialaccount_connections")
        )
        template = "social/email/sign_in_attempt"
    get_account_adapter(request).send_notification_mail(
        template, owner, context, email=email
    )
    logger.info(
        "A new %s identity has the address of user #%s; its owner was mailed.",
        sociallogin.account.provider,
        owner.pk,
    )


def pending(key: str) -> PendingConnection | None:
    """The connection waiting under `key`, while its link works."""
    found = (
        PendingConnection.objects.filter(key_digest=digest(key))
        .select_related("user")
        .first()
    )
    if found is None or found.expired:
        return None
    return found


@transaction.atomic
def approve(request: HttpRequest, waiting: PendingConnection) -> SocialAccount | None:
    """The owner approved: connect the identity to their account, unless it
    is connected elsewhere meanwhile. The link proved the mailbox, so an
    address still unverified on the account is verified by it, as by a
    verification link (users/verification.py settles what that means)."""
    waiting.delete()
    if SocialAccount.objects.filter(
        provider=waiting.provider, uid=waiting.uid
    ).exists():
        return None
    user = waiting.user
    address = EmailAddress.objects.filter(user=user, email=waiting.email).first()
    if address is not None and not address.verified:
        # First: whatever a signup brought along unproven goes now.
        if not get_account_adapter(request).confirm_email(request, address):
            return None  # another account verified it meanwhile
        # The provider is the way in; no password to choose now.
        request.session.pop(verification.CHOOSE_PASSWORD, None)
    account = SocialAccount.objects.create(
        user=user,
        provider=waiting.provider,
        uid=waiting.uid,
        extra_data=waiting.extra_data,
    )
    sociallogin = SocialLogin(user=user, account=account)
    social_signals.social_account_added.send(
        sender=SocialLogin, request=request, sociallogin=sociallogin
    )
    return account


def purge_expired() -> int:
    """Approval links that expired unused; how many."""
    cutoff = timezone.now() - APPROVAL_LIFETIME
    deleted, _ = PendingConnection.objects.filter(created_at__lt=cutoff).delete()
    return deleted
