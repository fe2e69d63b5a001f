"""What we remember about authorization codes, beside allauth's own copy.

allauth keeps a code in the cache until a successful exchange consumes it,
and then forgets it: a second exchange only fails. RFC 6749 section 4.1.2
asks more: a code used twice revokes the tokens issued from it. So each
exchange first claims the code here; a claim that finds it taken is a
reuse. Codes are kept by digest, never in the clear, and only as long as
a reuse is worth catching.
"""

from __future__ import annotations

import hashlib

from allauth.idp.oidc import app_settings as oidc_settings
from django.core.cache import cache

# How long a spent code is remembered: a replay after this is refused by
# allauth all the same (the code expired long before), only not answered
# by revoking.
REMEMBER_SPENT = 24 * 60 * 60


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _key(kind: str, code_digest: str) -> str:
    return f"identity:code:{kind}:{code_digest}"


def bind(code: str, session_digest: str) -> None:
    """At authorization: the browser session the code was issued in."""
    cache.set(
        _key("session", digest(code)),
        session_digest,
        oidc_settings.AUTHORIZATION_CODE_EXPIRES_IN + 5,
    )


def session_of(code_digest: str) -> str:
    return cache.get(_key("session", code_digest)) or ""


def claim(code_digest: str) -> bool:
    """Whether this exchange is the code's first (atomic: two concurrent
    exchanges cannot both claim it)."""
    return bool(cache.add(_key("claimed", code_digest), 1, REMEMBER_SPENT))


def release(code_digest: str) -> None:
    """An exchange that failed (a wrong verifier, say) spends nothing: the
    client may try again with the right one."""
    cache.delete(_key("claimed", code_digest))


def spent(code_digest: str, grant_id: int) -> None:
    """A successful exchange: the grant a later reuse revokes."""
    cache.set(_key("grant", code_digest), grant_id, REMEMBER_SPENT)


def grant_of(code_digest: str) -> int | None:
    return cache.get(_key("grant", code_digest))


def poison(code_digest: str) -> None:
    """A reuse while the first exchange is still under way: that exchange
    revokes what it issued."""
    cache.set(_key("poisoned", code_digest), 1, REMEMBER_SPENT)


def poisoned(code_digest: str) -> bool:
    return bool(cache.get(_key("poisoned", code_digest)))


def rotated(token_digest: str, grant_id: int) -> None:
    """A refresh token rotated away: presenting it again is a replay."""
    cache.set(f"identity:rotated:{token_digest}", grant_id, REMEMBER_SPENT)


def grant_of_rotated(token_digest: str) -> int | None:
    return cache.get(f"identity:rotated:{token_digest}")
