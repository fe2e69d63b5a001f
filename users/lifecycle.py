"""The end of an account, and everything we hold about it.

`delete_account` removes a person's data in one transaction: if any step
fails, the account stays whole. Their security events stay, detached and
with the address replaced by a pseudonym, as the README explains.
`export_account` is one JSON document of everything we hold about them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.db import transaction

from activity.events import Type, as_json, pseudonymise, record
from activity.models import Event
from identity.models import Grant
from mail.models import OutgoingEmail, Suppression

if TYPE_CHECKING:
    from django.http import HttpRequest

    from users.models import User


def delete_account(request: HttpRequest, user: User, *, by_staff: bool = False) -> None:
    """Delete `user` and their data, end every session and token of theirs,
    and mail a last message confirming it. `by_staff`: a member of staff
    deleted it, from the admin."""
    with transaction.atomic():
        addresses = list(
            EmailAddress.objects.filter(user=user).values_list("email", flat=True)
        )
        record(Type.ACCOUNT_DELETED, user, request, by="staff" if by_staff else "owner")
        for session in UserSession.objects.filter(user=user):
            session.end()  # its JWTs die with it
        # Mail still waiting for them would reach a person we forgot.
        OutgoingEmail.objects.filter(
            to__in=[user.email, *addresses], status=OutgoingEmail.Status.PENDING
        ).delete()
        # Rendered now, while the account still says which language is theirs.
        get_adapter(request).send_mail("users/email/account_deleted", user.email, {})
        # Last, so that no event written on the way keeps the address.
        pseudonymise(user)
        user.delete()  # addresses, factors, sessions, devices go with it


def export_account(user: User) -> dict[str, Any]:
    """Everything we hold about `user`, as one JSON document. Factors are
    metadata only; no password hash, secret or token is in it. Emails are
    those to the person's verified addresses (mail to an address they only
    added may be someone else's), without their bodies, which hold links
    with keys; providers' `extra_data` is left out, as it may hold tokens."""
    addresses = list(EmailAddress.objects.filter(user=user).order_by("pk"))
    verified = [a.email for a in addresses if a.verified]
    return {
        "profile": {
            "email": user.email,
            "name": user.name,
            "language": user.language,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "has_password": user.has_usable_password(),
            # How other apps signed in through this service know the account.
            "public_id": str(user.public_id),
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in addresses
        ],
        "undeliverable_addresses": [
            {
                "address": s.address,
                "reason": s.reason,
                "since": s.suppressed_at.isoformat() if s.suppressed_at else None,
            }
            for s in Suppression.objects.filter(
                address__in=[a.email for a in addresses], suppressed_at__isnull=False
            ).order_by("pk")
        ],
        "emails": [
            {
                "to": m.to,
                "kind": m.kind,
                "subject": m.subject,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "delivery": m.delivery,
            }
            for m in OutgoingEmail.objects.filter(to__in=verified)
            .only(
                "to", "kind", "subject", "status", "created_at", "sent_at", "delivery"
            )
            .order_by("-created_at", "-pk")
        ],
        "second_factors": [
            {
                "type": a.type,
                "name": a.wrap().name
                if a.type == Authenticator.Type.WEBAUTHN
                else None,
                "created_at": a.created_at.isoformat(),
                "last_used_at": a.last_used_at.isoformat() if a.last_used_at else None,
            }
            for a in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "sessions": [
            {
                "ip": s.ip,
                "user_agent": s.user_agent,
                "created_at": s.created_at.isoformat(),
                "last_seen_at": s.last_seen_at.isoformat() if s.last_seen_at else None,
            }
            for s in UserSession.objects.filter(user=user).order_by("pk")
        ],
        "known_devices": [
            {
                "device": d.description,
                "first_seen": d.first_seen.isoformat(),
                "last_seen": d.last_seen.isoformat(),
            }
            for d in user.known_devices.order_by("pk")
        ],
        "activity": [
            as_json(e) for e in Event.objects.filter(user=user).order_by("-at", "-pk")
        ],
        "apps": [
            {
                "app": g.client.name,
                "scopes": g.get_scopes(),
                "authorized_at": g.created_at.isoformat(),
                "last_used_at": g.last_used_at.isoformat(),
                "expires_at": g.expires_at.isoformat(),
            }
            for g in Grant.objects.filter(user=user)
            .select_related("client")
            .order_by("pk")
        ],
        "connected_accounts": [
            {
                "provider": a.provider,
                "uid": a.uid,
                "connected_at": a.date_joined.isoformat(),
                "last_login": a.last_login.isoformat(),
            }
            for a in SocialAccount.objects.filter(user=user).order_by("pk")
        ],
    }
