"""The default cache: Redis while it answers, memory while it does not."""

from __future__ import annotations

import pickle

import redis
from django.conf import settings

from project.cache import FailoverRedisCache
from tests.support.processes import free_port


def exercise(cache: FailoverRedisCache) -> None:
    """Every operation, once."""
    cache.clear()
    assert cache.add("counter", 1)
    cache.incr("counter")
    cache.set_many({"a": "x", "b": "y"})
    assert cache.touch("a", 60)
    assert cache.get_many(["counter", "a"]) == {"counter": 2, "a": "x"}
    assert cache.has_key("b")
    cache.delete_many(["b"])
    assert cache.delete("a")
    cache.set("kept", "value")
    assert cache.get("kept") == "value"


def test_every_operation_works_from_memory_while_redis_is_down(caplog):
    cache = FailoverRedisCache(f"redis://127.0.0.1:{free_port()}/0", {})

    exercise(cache)

    assert "Redis cache unreachable" in caplog.text


def test_every_operation_reaches_redis_while_it_answers(caplog):
    url = settings.CACHES["default"]["LOCATION"].rsplit("/", 1)[0] + "/5"
    cache = FailoverRedisCache(url, {})

    exercise(cache)

    stored = redis.Redis.from_url(url).get(cache.make_and_validate_key("kept"))
    assert isinstance(stored, bytes)
    assert pickle.loads(stored) == "value"  # noqa: S301 (our own test data)
    assert "Redis cache unreachable" not in caplog.text
