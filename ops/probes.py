"""The probes: /healthz (the process answers; it touches nothing) and
/readyz (PostgreSQL, Redis and the broker answer, and mail is flowing).

/readyz runs its checks side by side, each in a thread of its own, and
answers within READYZ_TIMEOUT (1.5 s) whatever hangs: a check that has not
finished by then is reported as "timeout". 200 when every check is "ok",
503 otherwise, with the reason of each failure (never a password).
"""

from __future__ import annotations

import concurrent.futures
import functools
import time
from http import HTTPStatus
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.db import connections, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from mail import outbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

READYZ_TIMEOUT = 1.5
# Each dependency's own limit, inside the probe's.
CHECK_TIMEOUT = 1.0
OK = "ok"
_checks = concurrent.futures.ThreadPoolExecutor(
    max_workers=8, thread_name_prefix="readyz"
)


# ATOMIC_REQUESTS would open a database connection for the transaction; a
# probe must answer while PostgreSQL is down.
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and uptime checks: the process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@transaction.non_atomic_requests
def readyz(request: HttpRequest) -> JsonResponse:
    """Whether this instance can serve: 200, or 503 naming what failed."""
    # Each check, and the names it reports on.
    checks: dict[Callable[[], dict[str, str]], tuple[str, ...]] = {
        check_database_and_outbox: ("database", "outbox"),
        check_redis: ("redis",),
        check_broker: ("broker",),
    }
    futures = {_checks.submit(check): names for check, names in checks.items()}
    concurrent.futures.wait(futures, timeout=READYZ_TIMEOUT)
    results: dict[str, str] = {}
    for future, names in futures.items():
        if future.done():
            results.update(future.result())
        else:
            results.update(dict.fromkeys(names, "timeout"))
    healthy = all(value == OK for value in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE,
    )


def check_database_and_outbox() -> dict[str, str]:
    """PostgreSQL answers, and the oldest unsent email is young enough. One
    query, on a connection of this thread's with a statement timeout, closed
    afterwards."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SET statement_timeout = %s", [int(CHECK_TIMEOUT * 1000)]
                )
        pending, oldest_age = outbox.backlog()
    except Exception as exc:  # noqa: BLE001 (reported, never raised)
        return {
            "database": f"failed: {type(exc).__name__}",
            "outbox": "unknown: the database did not answer",
        }
    finally:
        connection.close()
    limit = settings.READYZ_MAX_OUTBOX_AGE
    if oldest_age is not None and oldest_age > limit:
        return {
            "database": OK,
            "outbox": (
                f"failed: the oldest of {pending} unsent emails has waited "
                f"{oldest_age:.0f} s (READYZ_MAX_OUTBOX_AGE is {limit} s)"
            ),
        }
    return {"database": OK, "outbox": OK}


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and its connection pool) per URL, for every probe."""
    return redis.Redis.from_url(
        url, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT
    )


def _ping(name: str, url: str) -> dict[str, str]:
    client = redis_client(url)
    started = time.monotonic()
    try:
        client.ping()
    except redis.RedisError as exc:
        took = time.monotonic() - started
        return {name: f"failed: {type(exc).__name__} after {took:.1f} s"}
    return {name: OK}


def check_redis() -> dict[str, str]:
    """The cache (rate limits): REDIS_URL."""
    if not settings.REDIS_URL:
        return {"redis": OK}  # ./dev run: a memory cache in this process
    return _ping("redis", settings.REDIS_URL)


def check_broker() -> dict[str, str]:
    """Celery's broker, where the fast path queues each email."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return {"broker": OK}  # ./dev run's files, or the tests' memory
    return _ping("broker", url)
