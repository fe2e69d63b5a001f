"""Signed-in devices: allauth.usersessions as this service uses it.

Every login records a `UserSession` (allauth's signal handlers); a person
lists them and ends any (/accounts/sessions/ and the headless API). Ending a
session deletes it from the session store, and with it every JWT issued to
it (access tokens are checked against their session, users/api/jwt_strategy.py).
A password change ends every session but the one that made it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from activity.devices import describe
from activity.events import Type, record
from users import session_store

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest, HttpResponse


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[UserSession]) -> None:
        """End each session, record it, and tell its owner which device was
        signed out."""
        adapter = get_account_adapter()
        for session in sessions:
            user = session.user
            ended = {
                "device": session.user_agent or "?",
                "device_ip": session.ip or "?",
                "last_seen_at": session.last_seen_at,
            }
            session.end()
            record(
                Type.SESSION_ENDED, user, self.request, device=describe(ended["device"])
            )
            adapter.send_notification_mail(
                "usersessions/email/session_ended", user, ended
            )


def end_sessions_of(user: AbstractBaseUser, *, keep: str | None = None) -> int:
    """End every session of `user` but the one keyed `keep`; how many ended."""
    sessions = [
        session
        for session in UserSession.objects.filter(user_id=user.pk)
        if session.session_key != keep
    ]
    for session in sessions:
        session.end()
    return len(sessions)


def on_password_changed(request: HttpRequest, user: AbstractBaseUser, **kwargs) -> None:
    """allauth's password_changed and password_set: every other session ends.

    allauth (ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE off) has already given this
    session a new key and the new password's hash, so it stays signed in.
    Every other session is deleted with its device row, and each JWT issued
    to it stops working at once; a session no device row names fails
    Django's check of the password hash at its next request.
    """
    with session_store.ending_because("password_changed"):
        end_sessions_of(user, keep=request.session.session_key)
    # An app client changing its password over the API holds access tokens
    # of the session's old key: it is answered with a pair for the new one,
    # as a login is (allauth issues them when the user "changed").
    headless = getattr(getattr(request, "allauth", None), "headless", None)
    if headless is not None and hasattr(headless, "_pre_user"):
        headless._pre_user = AnonymousUser()  # noqa: SLF001


class SessionActivityMiddleware:
    """Record when each signed-in session was last active, for the device list.

    allauth's own tracking (USERSESSIONS_TRACK_ACTIVITY) writes to the
    database on every authenticated request. Here a session's activity is
    written at most once every USERSESSIONS_ACTIVITY_INTERVAL seconds: a
    cache key says when it last was, so most requests cost no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        key = request.session.session_key if hasattr(request, "session") else None
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated:
            interval = settings.USERSESSIONS_ACTIVITY_INTERVAL
            if not interval or cache.add(f"usersessions:seen:{key}", 1, interval):
                UserSession.objects.create_from_request(request)
        return response
