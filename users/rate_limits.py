"""allauth's rate limits, each counted in one step in Redis.

allauth keeps the hits of each limit as a list in the cache, read and
written under a lock it adds and deletes around them: four round trips per
limit, twenty for a successful login (three limits counted, two rolled
back), and a worker killed inside the lock held the account's logins back
until the lock expired.

Here, while the default cache is our Redis (project/cache.py), each limit's
hits are a sorted set of their times: one Lua script drops the expired
ones, counts and adds, atomically in Redis, with no lock to leave behind,
and a rollback is one ZREM. Same rates, same windows, same keys (with a
suffix: the value is of another type), same answers as allauth's.

While Redis is down, or where the cache is not Redis (./dev run), allauth's
own code counts, in the memory fallback, under its lock; a lock there is in
the process's own memory, so a killed process takes it with it.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from allauth.core.exceptions import RateLimited
from allauth.core.internal import ratelimit
from django.core.cache import cache, caches
from redis.commands.core import Script

from project.cache import FailoverRedisCache, RedisUnavailableError

if TYPE_CHECKING:
    import redis
    from django.http import HttpRequest

# KEYS[1]: the limit's hits. ARGV: now, the window in seconds, how many hits
# it allows, this hit's member, and "1" to record it ("0": only ask).
# allauth's apply_rate: hits at or before now - window no longer count.
HIT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
end
return 1
"""
_script = Script(None, HIT.encode())  # type: ignore[arg-type]  # bytes need no client

_allauth_consume_single_rate = ratelimit._consume_single_rate  # noqa: SLF001
_allauth_clear = ratelimit.clear


def _redis_cache() -> FailoverRedisCache | None:
    """The default cache, if it is our Redis one."""
    default = caches["default"]
    return default if isinstance(default, FailoverRedisCache) else None


def _hits_key(redis_cache: FailoverRedisCache, cache_key: str) -> str:
    return redis_cache.make_and_validate_key(f"{cache_key}:hits")


@dataclass
class RedisRateLimitUsage(ratelimit.SingleRateLimitUsage):
    """A hit counted in Redis, which a rollback takes back."""

    member: str = ""

    def rollback(self) -> None:
        redis_cache = _redis_cache()
        if redis_cache is None:
            return
        key = _hits_key(redis_cache, self.cache_key)
        # As allauth's: a hit not taken back only makes the limit stricter.
        with contextlib.suppress(RedisUnavailableError):
            redis_cache.on_redis(lambda client: client.zrem(key, self.member))


def _consume_single_rate(  # noqa: PLR0913 (allauth's signature)
    request: HttpRequest,
    *,
    app: str,
    action: str,
    rate: ratelimit.Rate,
    key: Any = None,
    user: Any = None,
    dry_run: bool = False,
    raise_exception: bool = False,
) -> ratelimit.SingleRateLimitUsage | None:
    """allauth's `_consume_single_rate`, in one round trip to Redis."""
    redis_cache = _redis_cache()
    if redis_cache is not None:
        cache_key = ratelimit.get_cache_key(
            request, app=app, action=action, rate=rate, key=key, user=user
        )
        now = time.time()
        member = f"{now!r}:{os.urandom(6).hex()}"
        hits_key = _hits_key(redis_cache, cache_key)

        def hit(client: redis.Redis) -> int:
            args = (now, rate.duration, rate.amount, member, "0" if dry_run else "1")
            return _script(keys=[hits_key], args=args, client=client)

        try:
            allowed = redis_cache.on_redis(hit)
        except RedisUnavailableError:
            pass  # allauth's, below, on the memory fallback
        else:
            if allowed:
                return RedisRateLimitUsage(
                    cache_key=cache_key,
                    cache_duration=rate.duration,
                    timestamp=now,
                    member=member,
                )
            if raise_exception:
                raise RateLimited
            return None
    return _allauth_consume_single_rate(
        request,
        app=app,
        action=action,
        rate=rate,
        key=key,
        user=user,
        dry_run=dry_run,
        raise_exception=raise_exception,
    )


def clear(  # noqa: PLR0913 (allauth's signature)
    request: HttpRequest,
    *,
    app: str,
    action: str,
    config: dict[str, str] | None = None,
    key: Any = None,
    user: Any = None,
) -> None:
    """allauth's `clear`, for the hits in Redis too."""
    _allauth_clear(request, app=app, action=action, config=config, key=key, user=user)
    redis_cache = _redis_cache()
    if redis_cache is None:
        return
    keys = [
        _hits_key(
            redis_cache,
            ratelimit.get_cache_key(
                request, app=app, action=action, rate=rate, key=key, user=user
            ),
        )
        for rate in ratelimit.get_rates(app=app, action=action, config=config)
    ]
    # While Redis is down, the memory fallback's were cleared above.
    if keys:
        with contextlib.suppress(RedisUnavailableError):
            redis_cache.on_redis(lambda client: client.delete(*keys))


def hits(cache_key: str) -> list[float]:
    """The times of the hits recorded under allauth's `cache_key`, newest
    first, as allauth's own list holds them."""
    redis_cache = _redis_cache()
    if redis_cache is not None:
        hits_key = _hits_key(redis_cache, cache_key)
        try:
            found: list[tuple[bytes, float]] = redis_cache.on_redis(
                lambda client: client.zrange(  # type: ignore[arg-type, return-value]
                    hits_key, 0, -1, desc=True, withscores=True
                )
            )
        except RedisUnavailableError:
            pass  # the memory fallback's, below
        else:
            return [score for _member, score in found]
    return list(cache.get(cache_key, []))


def install() -> None:
    """Called once, from UsersConfig.ready()."""
    ratelimit._consume_single_rate = _consume_single_rate  # noqa: SLF001
    ratelimit.clear = clear
