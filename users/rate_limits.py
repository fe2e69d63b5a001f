"""allauth's rate limits, each counted in one step in Redis.

allauth keeps the hits of each limit as a list in the cache, read and
written under a lock it adds and deletes around them: four round trips per
limit, twenty for a successful login (three limits counted, two rolled
back), and a worker killed inside the lock held the account's logins back
until the lock expired.

Here, while the default cache is our Redis (project/cache.py), each limit's
hits are a sorted set of their times, and one Lua script counts a hit
against every limit of an action (drop the expired hits, count, add),
atomically in Redis, with no lock to leave behind; a rollback is one
pipeline of ZREMs. A successful login: three round trips. Same rates, same
windows, same order, same keys (with a suffix: the value is of another
type), same answers as allauth's.

While Redis is down, or where the cache is not Redis (./dev run), allauth's
own code counts, in the memory fallback, under its lock; a lock there is in
the process's own memory, so a killed process takes it with it.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from allauth.core.exceptions import RateLimited
from allauth.core.internal import ratelimit
from django.core.cache import cache, caches
from redis.commands.core import Script

from project.cache import FailoverRedisCache, RedisUnavailableError

if TYPE_CHECKING:
    import redis
    from django.http import HttpRequest

# KEYS: the hits of each of an action's limits, in allauth's order. ARGV:
# now, "1" to record the hit ("0": only ask), this hit's member, then each
# limit's window in seconds and how many hits it allows. As allauth's loop:
# limit by limit, hits at or before now - window no longer count; the first
# limit that is full stops it, the ones before keep their hit. Returns how
# many limits let the hit through.
HIT = """
local now, record, member = tonumber(ARGV[1]), ARGV[2] == '1', ARGV[3]
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + 2 * i]) then
    return i - 1
  end
  if record then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, math.ceil(window * 1000))
  end
end
return #KEYS
"""
_script = Script(None, HIT.encode())  # type: ignore[arg-type]  # bytes need no client

_allauth_consume = ratelimit.consume
_allauth_clear = ratelimit.clear


def _redis_cache() -> FailoverRedisCache | None:
    """The default cache, if it is our Redis one."""
    default = caches["default"]
    return default if isinstance(default, FailoverRedisCache) else None


def _hits_key(redis_cache: FailoverRedisCache, cache_key: str) -> str:
    return redis_cache.make_and_validate_key(f"{cache_key}:hits")


@dataclass
class RedisRateLimitUsage(ratelimit.RateLimitUsage):
    """A hit counted in Redis against each of an action's limits, which a
    rollback takes back from all of them in one round trip."""

    member: str = ""
    keys: list[str] = field(default_factory=list)

    def rollback(self) -> None:
        redis_cache = _redis_cache()
        if redis_cache is None or not self.keys:
            return

        def take_back(client: redis.Redis) -> None:
            pipeline = client.pipeline(transaction=False)
            for key in self.keys:
                pipeline.zrem(key, self.member)
            pipeline.execute()

        # As allauth's: a hit not taken back only makes the limit stricter.
        with contextlib.suppress(RedisUnavailableError):
            redis_cache.on_redis(take_back)


def _hits_keys(
    redis_cache: FailoverRedisCache,
    request: HttpRequest,
    rates: list[ratelimit.Rate],
    **where: Any,
) -> list[str]:
    """The Redis keys of `rates`' hits; `where`: app, action, key, user."""
    return [
        _hits_key(redis_cache, ratelimit.get_cache_key(request, rate=rate, **where))
        for rate in rates
    ]


def consume(  # noqa: PLR0913 (allauth's signature)
    request: HttpRequest,
    *,
    app: str,
    action: str,
    config: dict[str, str] | None = None,
    key: Any = None,
    user: Any = None,
    dry_run: bool = False,
    limit_get: bool = False,
    raise_exception: bool = False,
) -> ratelimit.RateLimitUsage | None:
    """allauth's `consume`, every limit of the action in one round trip."""

    def allauths_own() -> ratelimit.RateLimitUsage | None:
        return _allauth_consume(
            request,
            app=app,
            action=action,
            config=config,
            key=key,
            user=user,
            dry_run=dry_run,
            limit_get=limit_get,
            raise_exception=raise_exception,
        )

    redis_cache = _redis_cache()
    rates = ratelimit.get_rates(app=app, action=action, config=config)
    if redis_cache is None or not rates or (not limit_get and request.method == "GET"):
        return allauths_own()
    keys = _hits_keys(
        redis_cache, request, rates, app=app, action=action, key=key, user=user
    )
    now = time.time()
    member = f"{now!r}:{os.urandom(6).hex()}"
    args: list[Any] = [now, "0" if dry_run else "1", member]
    for rate in rates:
        args += [rate.duration, rate.amount]
    try:
        passed = redis_cache.on_redis(
            lambda client: _script(keys=keys, args=args, client=client)
        )
    except RedisUnavailableError:
        return allauths_own()  # on the memory fallback
    if passed == len(rates):
        return RedisRateLimitUsage(
            usage=[], member=member, keys=[] if dry_run else keys
        )
    if raise_exception:
        raise RateLimited
    return None


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
    rates = ratelimit.get_rates(app=app, action=action, config=config)
    if redis_cache is None or not rates:
        return
    keys = _hits_keys(
        redis_cache, request, rates, app=app, action=action, key=key, user=user
    )
    # While Redis is down, the memory fallback's were cleared above.
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
    ratelimit.consume = consume
    ratelimit.clear = clear
