"""Benchmark: what JWT authentication costs an API request, and refresh latency.

    ./dev bench api

Runs gunicorn (production-like: 2 sync workers, DEBUG off) on the test
settings against PostgreSQL database `accounts_bench`, then measures, in
alternating rounds so both see the same machine:

1. Throughput of `GET /api/me` with a JWT access token (RS256 signature,
   session check, user and address queries) against `GET /healthz`, a plain
   Django view on the same server.
2. Median latency of `POST /_allauth/app/v1/tokens/refresh`, each refresh
   using the token the previous one returned.

A program, not a test: it measures and prints.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import fresh_database, percentile, post_json, throughput

from tests.support.factories import PASSWORD, UserFactory
from tests.support.processes import RedisServer, Web, service_env


def session_cookie(user) -> dict:
    """A signed-in browser's cookie, made the way Django's login makes it:
    in the service's session store, by its one authentication backend."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"Cookie": f"sessionid={session.session_key}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--refreshes", type=int, default=300)
    args = parser.parse_args()

    fresh_database()
    user = UserFactory.create()
    with tempfile.TemporaryDirectory() as folder:
        redis = RedisServer(Path(folder)).start()  # rate limits start empty
        env = service_env(
            DJANGO_LOG_LEVEL="WARNING",
            REDIS_URL=redis.url(0),
            CELERY_BROKER_URL=redis.url(1),
        )
        web = Web(Path(folder), env).start()
        try:
            login = post_json(
                web.port,
                "/_allauth/app/v1/auth/login",
                {"email": user.email, "password": PASSWORD},
            )
            assert "meta" in login, login
            login = login["meta"]
            contenders = {
                "GET /healthz (no auth, no database)": ("GET", "/healthz", {}, None),
                "GET / (session cookie, template)": (
                    "GET",
                    "/",
                    session_cookie(user),
                    None,
                ),
                "GET /api/me (session cookie)": (
                    "GET",
                    "/api/me",
                    session_cookie(user),
                    None,
                ),
                "GET /api/me (JWT)": (
                    "GET",
                    "/api/me",
                    {"Authorization": f"Bearer {login['access_token']}"},
                    None,
                ),
            }
            rates: dict[str, list[float]] = {label: [] for label in contenders}
            for _ in range(args.rounds):
                for label, request in contenders.items():
                    rates[label].append(
                        throughput(web.port, request, args.seconds, args.clients)
                    )

            latencies = []
            refresh_token = login["refresh_token"]
            for _ in range(args.refreshes):
                started = time.perf_counter()
                body = post_json(
                    web.port,
                    "/_allauth/app/v1/tokens/refresh",
                    {"refresh_token": refresh_token},
                )
                latencies.append(time.perf_counter() - started)
                refresh_token = body["data"]["refresh_token"]
        finally:
            web.stop()
            redis.kill()

    rate = {label: statistics.median(values) for label, values in rates.items()}
    jwt_rate = rate["GET /api/me (JWT)"]
    print(
        f"\n1. Throughput, gunicorn with 2 sync workers, {args.clients} clients "
        f"(median of {args.rounds} alternating {args.seconds:.0f} s rounds)"
    )
    for label, value in rate.items():
        ratio = jwt_rate / value
        print(f"   {label:<38} {value:8.0f} req/s   JWT / this: {ratio:4.2f}")
    print("   target: JWT / plain Django view >= 0.7")
    print(f"\n2. Refresh token rotation ({args.refreshes} sequential refreshes)")
    print(f"   {'median latency':<34} {statistics.median(latencies) * 1000:8.1f} ms")
    print(f"   {'p99 latency':<34} {percentile(latencies, 0.99) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
