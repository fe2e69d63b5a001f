"""Writing security events, and reading a person's back, a page at a time."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from allauth.core.internal.httpkit import HTTP_USER_AGENT_MAX_LENGTH
from django.conf import settings
from django.core import signing
from django.db.models import Case, F, JSONField, Value, When
from django.utils.dateparse import parse_datetime

from activity.app_settings import app_settings
from activity.models import Event

if TYPE_CHECKING:
    from django.http import HttpRequest

    from users.models import User

Type = Event.Type
CURSOR_SALT = "activity.cursor"


def client_of(request: HttpRequest | None) -> tuple[str | None, str]:
    """The client's IP address (as allauth's rate limits see it) and browser."""
    if request is None:
        return None, ""
    adapter = get_adapter(request)
    ua = request.META.get("HTTP_USER_AGENT", "")
    return adapter.get_client_ip(request), ua[: min(300, HTTP_USER_AGENT_MAX_LENGTH)]


def record(
    type: Type,  # noqa: A002 (the event's own word)
    user: User,
    request: HttpRequest | None = None,
    **details: Any,
) -> Event:
    """Write one event for `user`, in the caller's transaction.

    `details` is a small JSON object: which address, which kind of factor,
    how someone signed in. Never a secret.
    """
    event = new_event(type, user, request, **details)
    event.save(force_insert=True)
    return event


def new_event(
    type: Type,  # noqa: A002 (the event's own word)
    user: User,
    request: HttpRequest | None = None,
    **details: Any,
) -> Event:
    """The event `record` writes, not yet written."""
    ip, ua = client_of(request)
    return Event(
        user=user,
        email=getattr(user, "email", ""),
        type=type,
        ip=ip,
        user_agent=ua,
        details=details,
    )


def pseudonym(email: str) -> str:
    """A stable stand-in for a deleted account's address: the same address
    always gives the same pseudonym, and the pseudonym gives nothing back."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"activity:{email}".encode(), hashlib.sha256
    ).hexdigest()
    return f"deleted-{digest[:16]}@invalid"


def pseudonymise(user: User) -> int:
    """Detach `user`'s events from them and hide their address; how many."""
    # Details may name addresses; the deletion's own say only who deleted.
    kept = Case(
        When(type=Type.ACCOUNT_DELETED, then=F("details")),
        default=Value({}, output_field=JSONField()),
    )
    events = Event.objects.filter(user=user)
    return events.update(user=None, email=pseudonym(user.email), details=kept)


def page_of(user: User, cursor: str | None = None) -> tuple[list[Event], str | None]:
    """A page of `user`'s events, newest first, from `cursor` (None: the
    newest), and the cursor of the next page (None: no more).

    Raises ValueError for a cursor this service did not hand out.
    """
    events = Event.objects.filter(user=user).order_by("-at", "-pk")
    if cursor:
        try:
            at, pk = signing.loads(cursor, salt=CURSOR_SALT)
        except (signing.BadSignature, TypeError, ValueError) as exc:
            msg = "not a cursor of ours"
            raise ValueError(msg) from exc
        when = parse_datetime(at)
        if when is None:
            msg = "not a cursor of ours"
            raise ValueError(msg)
        events = events.filter(at__lt=when) | events.filter(at=when, pk__lt=pk)
        events = events.order_by("-at", "-pk")
    size = app_settings.PAGE_SIZE
    found = list(events[: size + 1])
    if len(found) <= size:
        return found, None
    last = found[size - 1]
    return found[:size], signing.dumps([last.at.isoformat(), last.pk], salt=CURSOR_SALT)


def as_json(event: Event) -> dict[str, Any]:
    return {
        "type": event.type,
        "description": str(event.get_type_display()),
        "at": event.at.isoformat(),
        "ip": event.ip,
        "user_agent": event.user_agent,
        "details": event.details,
    }
