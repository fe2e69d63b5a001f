"""Who is calling: the same credentials allauth's API accepts, and whether
they proved it again recently enough for a sensitive change."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from allauth.account.internal.flows.reauthentication import (
    did_recently_reauthenticate,
    get_reauthentication_flows,
)
from allauth.core.internal.httpkit import get_authorization_credential
from allauth.headless import app_settings as headless_settings
from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from allauth.headless.tokens.strategies.jwt import internal as jwt_internal
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from users import reauthentication
from users.models import with_primary_verified

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.sessions.backends.base import SessionBase
    from django.http import HttpRequest

    from users.models import User


@dataclass
class Caller:
    """A signed-in caller: the user, and the session their credential names."""

    user: User
    session: SessionBase
    # The browser's session cookie, which a cross-site page can make a
    # browser send: a change by this caller needs a CSRF token too.
    by_cookie: bool = False


def authenticate(request: HttpRequest) -> Caller | None:
    """The caller behind a JWT, an X-Session-Token or the session cookie.

    A credential that is present but invalid means no caller: it never falls
    back to another credential.
    """
    caller: Caller | None = None
    if "Authorization" in request.headers:
        token = get_authorization_credential(
            request, headless_settings.JWT_AUTHORIZATION_HEADER_SCHEME
        )
        if token and headless_settings.JWT_PRIVATE_KEY:
            caller = _caller_of_access_token(token)
    elif session_token := request.headers.get("X-Session-Token"):
        found = authenticate_by_x_session_token(session_token)
        caller = Caller(*found) if found else None
    elif request.user.is_authenticated:
        caller = Caller(request.user, request.session, by_cookie=True)
    if caller is None or not caller.user.is_active:
        return None
    return caller


def passes_csrf_check(request: HttpRequest, caller: Caller) -> bool:
    """Whether a change may go ahead: a token in a header cannot be forged by
    another site, a session cookie needs Django's CSRF check."""
    if not caller.by_cookie:
        return True
    rejected = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
        request, lambda r: HttpResponse(), (), {}
    )
    return rejected is None


def _caller_of_access_token(token: str) -> Caller | None:
    """allauth's stateful validation of an access token (every token is
    checked against its session, HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED),
    keeping the session it found."""
    payload = jwt_internal.decode_token(token, "access")
    session = jwt_internal.get_token_session(payload) if payload else None
    if payload is None or session is None:
        return None
    marker = with_primary_verified.set(True)
    try:
        user = jwt_internal.validate_token_user(payload, session)
    finally:
        with_primary_verified.reset(marker)
    return Caller(user, session) if user is not None else None


def authenticated_user(request: HttpRequest) -> AbstractBaseUser | None:
    caller = authenticate(request)
    return caller.user if caller else None


@contextmanager
def acting_as(request: HttpRequest, caller: Caller) -> Iterator[HttpRequest]:
    """`request` with the caller's user and session, for allauth's flows,
    which read both from the request."""
    user, session = request.user, request.session
    request.user, request.session = caller.user, caller.session
    try:
        yield request
    finally:
        request.user, request.session = user, session


def recently_reauthenticated(request: HttpRequest, caller: Caller) -> bool:
    """Whether the caller proved who they are again within
    DJANGO_REAUTHENTICATION_TIMEOUT: as allauth judges it, and by a mailed
    code for an account allauth has no way to ask (users/reauthentication.py)."""
    with acting_as(request, caller):
        return did_recently_reauthenticate(
            request
        ) and not reauthentication.must_prove_mailbox(request, caller.user)


def reauthentication_flows(caller: Caller) -> list[dict]:
    """How the caller can reauthenticate, in allauth's words; for an account
    with no password and no factor, by a mailed code."""
    return get_reauthentication_flows(caller.user) or [{"id": reauthentication.FLOW}]


def keep_session(caller: Caller) -> None:
    """Save what a view wrote to a token caller's session; a cookie caller's
    is saved by Django's SessionMiddleware."""
    if not caller.by_cookie:
        caller.session.save()
