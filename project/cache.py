"""The default cache: Redis, shared by every web process, that survives Redis.

allauth keeps its rate limits in the default cache. When Redis is down, a
plain Redis cache makes every rate-limited page (signup, login, reset)
answer 500. This one falls back to a per-process memory cache for the
outage, logging loudly, and goes back to Redis once it answers again. During
the outage each process counts its own attempts, so a limit is at worst
multiplied by the number of processes.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, TypeVar

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import exceptions as redis_errors

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis

logger = logging.getLogger(__name__)
T = TypeVar("T")

# After a failure, stay on the fallback this long before trying Redis again.
RETRY_AFTER = 5.0


class ReusedRedisClient(RedisCacheClient):
    """Django's Redis cache makes a new `redis.Redis` for every operation,
    and making one (its ~200 reply parsers) costs more CPU than the
    operation: with a login's twenty-odd rate-limit operations, several
    milliseconds (bench/login_cost.py). One per connection pool instead:
    a `redis.Redis` is safe to share between threads."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        # Django's own helpers, which its type stubs leave out.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[id(pool)] = client
        return client


class RedisUnavailableError(Exception):
    """Redis is down: the work goes to the memory fallback instead."""


class FailoverRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        options = params.setdefault("OPTIONS", {})
        # Fail fast when Redis is unreachable or hung, not after the OS timeout.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, params)
        self._class = ReusedRedisClient
        self._fallback = LocMemCache(
            f"failover:{server}", {**params, "OPTIONS": {"MAX_ENTRIES": 10_000}}
        )
        self._redis_down_until = 0.0

    def _call(self, method: str, *args, **kwargs):
        if time.monotonic() >= self._redis_down_until:
            try:
                return getattr(super(), method)(*args, **kwargs)
            except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
                self._went_down(exc)
        return getattr(self._fallback, method)(*args, **kwargs)

    def _went_down(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + RETRY_AFTER
        logger.error(
            "Redis cache unreachable (%s): rate limits are per process "
            "until it is back",
            exc.__class__.__name__,
        )

    def on_redis(self, operation: Callable[[redis.Redis], T]) -> T:
        """`operation` on Redis itself, for what the cache API cannot say in
        one round trip (users/rate_limits.py). Raises RedisUnavailableError while
        Redis is down, as the other operations fall back to memory."""
        if time.monotonic() >= self._redis_down_until:
            try:
                return operation(self._cache.get_client(write=True))
            except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
                self._went_down(exc)
        raise RedisUnavailableError


def _on_redis_or_fallback(operation: str):
    """The cache method `operation`, on Redis, or on the fallback while Redis
    is down."""

    def method(self: FailoverRedisCache, *args, **kwargs):
        return self._call(operation, *args, **kwargs)

    method.__name__ = method.__qualname__ = operation
    return method


# Every operation RedisCache implements; the rest of Django's cache API
# (get_or_set, decr, ...) is built on these.
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)
for _operation in OPERATIONS:
    setattr(FailoverRedisCache, _operation, _on_redis_or_fallback(_operation))
