"""Grants: made when an app exchanges a code, carried over each refresh,
revoked when the person, their session or their password says so.

allauth stores each access and refresh token as a `Token` row and nothing
ties the rows of one authorization together; here each row issued under a
grant carries the grant's id in `Token.data["grant"]`, so that revoking a
grant deletes exactly its tokens.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client, Token
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from activity.events import Type, record
from identity.models import Grant

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse

    from users.models import User

logger = logging.getLogger(__name__)

LIVE_TOKENS = (Token.Type.ACCESS_TOKEN, Token.Type.REFRESH_TOKEN)


def session_digest(session_key: str | None) -> str:
    """What a grant remembers of the browser session it came from: enough
    to find it again, nothing that opens the session."""
    if not session_key:
        return ""
    return hashlib.sha256(f"identity.session:{session_key}".encode()).hexdigest()


def issued_tokens(response: HttpResponse) -> list[Token]:
    """The token rows a successful token response just created."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return []
    adapter = get_adapter()
    hashes = [
        adapter.hash_token(body[name])
        for name in ("access_token", "refresh_token")
        if isinstance(body.get(name), str)
    ]
    return list(Token.objects.filter(hash__in=hashes, type__in=LIVE_TOKENS))


def _expiry(tokens: list[Token]) -> datetime:
    ends = [t.expires_at for t in tokens if t.expires_at is not None]
    if len(ends) < len(tokens):
        # A token that never expires (allauth's refresh tokens, without
        # IDP_OIDC_REFRESH_TOKEN_EXPIRES_IN) keeps its grant as long.
        return timezone.now() + timedelta(days=3650)
    return max(ends)


def _tag(tokens: list[Token], grant_id: int) -> None:
    for token in tokens:
        token.data = {**(token.data or {}), "grant": grant_id}
    Token.objects.bulk_update(tokens, ["data"])


def start(tokens: list[Token], session: str) -> Grant | None:
    """A code exchange issued `tokens`: a new grant, from browser `session`."""
    person = next((t for t in tokens if t.user_id is not None), None)
    if person is None:
        return None  # no person behind them
    grant = Grant.objects.create(
        user_id=person.user_id,
        client_id=person.client_id,
        session_digest=session,
        scopes=" ".join(person.get_scopes()),
        expires_at=_expiry(tokens),
    )
    _tag(tokens, grant.pk)
    return grant


def carry_over(tokens: list[Token], grant_id: int) -> None:
    """A refresh issued `tokens` under grant `grant_id`."""
    if not tokens:
        return
    updated = Grant.objects.filter(pk=grant_id).update(
        last_used_at=timezone.now(),
        expires_at=Greatest(F("expires_at"), Value(_expiry(tokens))),
    )
    if updated:
        _tag(tokens, grant_id)


def grant_of(token: Token | None) -> int | None:
    data = token.data if token is not None and isinstance(token.data, dict) else {}
    grant = data.get("grant")
    return grant if isinstance(grant, int) else None


@transaction.atomic
def revoke(
    grants: QuerySet[Grant],
    *,
    reason: str,
    request: HttpRequest | None = None,
) -> int:
    """Delete `grants` and every token issued under them; one activity event
    per person and app. How many grants went."""
    found = list(grants.select_related("user", "client"))
    if not found:
        return 0
    by_user: dict[int, list[int]] = {}
    for grant in found:
        by_user.setdefault(grant.user_id, []).append(grant.pk)
    for user_id, ids in by_user.items():
        Token.objects.filter(
            user_id=user_id, type__in=LIVE_TOKENS, data__grant__in=ids
        ).delete()
    Grant.objects.filter(pk__in=[g.pk for g in found]).delete()
    _record(((g.user, g.client) for g in found), reason, request)
    return len(found)


@transaction.atomic
def revoke_app(user: User, client_id: str, *, request: HttpRequest) -> bool:
    """The person takes an app's access back: every token of theirs issued
    to it, under a grant or not."""
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return False
    tokens, _ = Token.objects.filter(
        user=user, client=client, type__in=LIVE_TOKENS
    ).delete()
    grants, _ = Grant.objects.filter(user=user, client=client).delete()
    if not tokens and not grants:
        return False
    _record([(user, client)], "revoked_by_you", request)
    return True


@transaction.atomic
def revoke_everything_of(
    user: User, *, reason: str, request: HttpRequest | None = None
) -> int:
    """Every token issued to other apps for `user` (a new password, say)."""
    tokens = Token.objects.filter(user=user, type__in=LIVE_TOKENS).select_related(
        "client"
    )
    clients = {t.client_id: t.client for t in tokens if t.client is not None}
    grants = Grant.objects.filter(user=user).select_related("client")
    clients.update({g.client_id: g.client for g in grants})
    tokens.delete()
    grants.delete()
    _record(((user, client) for client in clients.values()), reason, request)
    return len(clients)


def _record(
    pairs: Iterable[tuple[User, Client]], reason: str, request: HttpRequest | None
) -> None:
    seen = set()
    for user, client in pairs:
        if (user.pk, client.pk) in seen:
            continue
        seen.add((user.pk, client.pk))
        record(
            Type.APP_REVOKED,
            user,
            request,
            app=client.name,
            client_id=client.pk,
            reason=reason,
        )
        logger.info(
            "Revoked the tokens of app %s for user #%s: %s", client.pk, user.pk, reason
        )


def purge_expired() -> int:
    """Expired tokens (allauth keeps them until `oidc_cleartokens`), grants
    whose every token expired, and a day-old trail of spent codes is the
    cache's own; how many rows went. A few statements, whatever the size."""
    now = timezone.now()
    tokens, _ = Token.objects.filter(expires_at__lt=now).delete()
    grants, _ = Grant.objects.filter(expires_at__lt=now).delete()
    return tokens + grants
