"""When tokens issued to other apps end without the app asking: the browser
session they were authorized from ends (a sign-out, or the person ends it
from the device list), or the password changes. Deleting the account takes
them with it (the rows cascade)."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account

from identity import grants
from identity.models import Grant
from users import session_store


def session_ended(
    sender: object, session_key: str, reason: str | None = None, **kwargs: Any
) -> None:
    """The session's grants go, for the cause that ended it (a new password
    ends every other session), else because it ended."""
    grants.revoke(
        Grant.objects.filter(session_digest=grants.session_digest(session_key)),
        reason=reason or "session_ended",
    )


def session_rekeyed(sender: object, old_key: str, new_key: str, **kwargs: Any) -> None:
    """A signed-in session's key changed (a new sign-in in it): the grants
    authorized from it follow."""
    Grant.objects.filter(session_digest=grants.session_digest(old_key)).update(
        session_digest=grants.session_digest(new_key)
    )


def password_changed(request, user, **kwargs: Any) -> None:
    grants.revoke_everything_of(user, reason="password_changed", request=request)


def password_reset(request, user, **kwargs: Any) -> None:
    grants.revoke_everything_of(user, reason="password_reset", request=request)


def connect() -> None:
    """Called once, from IdentityConfig.ready()."""
    session_store.session_ended.connect(session_ended)
    session_store.session_rekeyed.connect(session_rekeyed)
    account.password_changed.connect(password_changed)
    account.password_reset.connect(password_reset)
