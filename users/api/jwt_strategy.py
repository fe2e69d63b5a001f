"""JWT for app clients: allauth's strategy plus refresh-token reuse detection.

allauth rotates refresh tokens: each refresh returns a new one and forgets
the old. A rotated token presented again means two parties hold tokens of one
session, the thief or the owner (RFC 9700, section 4.14.2). allauth only
refuses that token; here the whole session is revoked, so the live refresh
token and every access token of that session stop working too.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from allauth.headless.tokens.strategies.jwt import JWTTokenStrategy
from allauth.headless.tokens.strategies.jwt import internal as jwt_internal
from django.contrib.sessions.models import Session
from django.db import connection

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase

logger = logging.getLogger(__name__)

# Session key holding {jti: exp} of refresh tokens already rotated away.
SPENT_REFRESH_TOKENS = "spent_refresh_tokens"


class RotatingJWTTokenStrategy(JWTTokenStrategy):
    def refresh_token(self, refresh_token: str) -> tuple[str, str] | None:
        payload = jwt_internal.decode_token(refresh_token, "refresh")
        if payload is None:
            return None  # malformed, forged, expired, or not a refresh token
        # Under the lock, a concurrent refresh of the same token has either
        # finished, and spent it, or not started.
        lock_session(jwt_internal.session_key_from_sid(payload["sid"]))
        validated = jwt_internal.validate_refresh_token(refresh_token)
        if validated is None:
            session = jwt_internal.get_token_session(payload)
            if session and payload["jti"] in session.get(SPENT_REFRESH_TOKENS, {}):
                revoke(session, payload)
            return None
        user, session, payload = validated
        access_token = jwt_internal.create_access_token(
            user, session, self.get_claims(user)
        )
        jwt_internal.invalidate_refresh_token(session, payload)
        spend(session, payload)
        next_refresh_token = jwt_internal.create_refresh_token(user, session)
        session.save()
        return access_token, next_refresh_token


def spend(session: SessionBase, payload: dict) -> None:
    """Remember a rotated refresh token until it would have expired anyway."""
    now = time.time()
    spent = {
        jti: exp
        for jti, exp in session.get(SPENT_REFRESH_TOKENS, {}).items()
        if exp > now
    }
    spent[payload["jti"]] = payload["exp"]
    session[SPENT_REFRESH_TOKENS] = spent


def revoke(session: SessionBase, payload: dict) -> None:
    """End the session: its refresh tokens and access tokens all die with it."""
    session.delete()
    logger.warning(
        "Refresh token reuse detected for user %s: session revoked",
        payload.get("sub"),
    )


def lock_session(session_key: str | None) -> None:
    """Serialise refreshes of one session for the rest of the transaction.

    Without it, two refreshes racing with the same token could both pass
    the check and leave two live refresh tokens. Every request runs in a
    transaction (ATOMIC_REQUESTS); sessions live in the database.
    """
    if session_key and connection.in_atomic_block:
        Session.objects.select_for_update().filter(session_key=session_key).exists()
