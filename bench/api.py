"""Benchmark: what JWT authentication costs an API request, refresh latency,
and both per core, as the identity servers publish them.

    ./dev bench api [--seconds 5] [--rounds 3] [--clients 4]

Runs gunicorn as deployed (deploy/gunicorn.conf.py: as many sync workers as
cores, access log on, DEBUG off) on the test settings against PostgreSQL
database `accounts_bench`, with a private Redis, then measures, in
alternating rounds so all see the same machine:

1. Throughput of `GET /api/me` with a JWT access token (RS256 signature,
   session check, user and address queries) against `GET /healthz` and a
   plain Django view on the same server.
2. Median latency of `POST /_allauth/app/v1/tokens/refresh`, each refresh
   using the token the previous one returned.
3. Per core: JWT refreshes and `GET /api/me` with a JWT, each client
   process with its own session. Beside the rate, the CPU time each side
   spent, read from /proc: the server's (gunicorn's workers, their
   PostgreSQL backends and Redis) and the load generator's own. Requests
   per second of server CPU is what one fully busy core would serve,
   whatever else the machine runs; the load generator's share says how
   much of the machine the clients took from the server.

A program, not a test: it measures and prints.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import time
from typing import TYPE_CHECKING

from common import (
    BENCH_DB,
    CpuMeter,
    database_backends,
    deployed_web,
    fresh_database,
    percentile,
    process_tree,
)

from tests.support.factories import PASSWORD, UserFactory

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.processes import Gunicorn, RedisServer

CORES = os.cpu_count() or 1
APP = "/_allauth/app/v1"


def request(port: int, method: str, path: str, headers: dict, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, content


def hammer(port: int, work: tuple, seconds: float, results) -> None:
    """One client process: sequential requests until time is up; how many,
    the CPU time this process spent making them, and what went wrong, if
    anything did (reported, never raised, so the run cannot hang).

    `work` is ("get", path, headers), or ("refresh", refresh token): each
    refresh sends the token the previous one returned."""
    done, failure = 0, None
    started = time.process_time()
    deadline = time.monotonic() + seconds
    token = work[1]
    try:
        while time.monotonic() < deadline:
            if work[0] == "get":
                status, _ = request(port, "GET", work[1], work[2])
            else:
                status, content = request(
                    port,
                    "POST",
                    f"{APP}/tokens/refresh",
                    {"Content-Type": "application/json"},
                    json.dumps({"refresh_token": token}),
                )
                if status == 200:
                    token = json.loads(content)["data"]["refresh_token"]
            if status != 200:
                failure = f"{work[0]} {work[1][:40]}: HTTP {status}"
                break
            done += 1
    except OSError as exc:
        failure = f"{work[0]}: {exc!r}"
    results.put((done, time.process_time() - started, failure))


def run_clients(port: int, works: list[tuple], seconds: float) -> tuple[int, float]:
    """One client process per item of `works`, together: requests done, and
    the CPU seconds the clients spent."""
    results: multiprocessing.Queue[tuple[int, float, str | None]] = (
        multiprocessing.Queue()
    )
    clients = [
        multiprocessing.Process(target=hammer, args=(port, work, seconds, results))
        for work in works
    ]
    for client in clients:
        client.start()
    outcomes = [results.get() for _ in clients]
    for client in clients:
        client.join()
    if failures := [failure for _, _, failure in outcomes if failure]:
        msg = f"requests failed: {failures}"
        raise SystemExit(msg)
    return sum(done for done, _, _ in outcomes), sum(cpu for _, cpu, _ in outcomes)


def session_cookie(user) -> dict:
    """A signed-in browser's cookie, made the way Django's login makes it:
    the configured session engine, and the first authentication backend."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"Cookie": f"sessionid={session.session_key}"}


def post_json(port: int, path: str, body: dict, client: int = 1) -> dict:
    _, content = request(
        port,
        "POST",
        path,
        {"Content-Type": "application/json", "X-Forwarded-For": f"10.0.0.{client}"},
        json.dumps(body),
    )
    return json.loads(content)


def app_login(port: int, email: str, client: int = 1) -> dict:
    body = post_json(
        port, f"{APP}/auth/login", {"email": email, "password": PASSWORD}, client
    )
    assert "meta" in body, body
    return body["meta"]


def throughputs(port: int, user, login: dict, args) -> None:
    contenders = {
        "GET /healthz (no auth, no database)": ("/healthz", {}),
        "GET / (session cookie, template)": ("/", session_cookie(user)),
        "GET /api/me (session cookie)": ("/api/me", session_cookie(user)),
        "GET /api/me (JWT)": (
            "/api/me",
            {"Authorization": f"Bearer {login['access_token']}"},
        ),
    }
    rates: dict[str, list[float]] = {label: [] for label in contenders}
    for _ in range(args.rounds):
        for label, (path, headers) in contenders.items():
            done, _ = run_clients(
                port, [("get", path, headers)] * args.clients, args.seconds
            )
            rates[label].append(done / args.seconds)
    rate = {label: statistics.median(values) for label, values in rates.items()}
    jwt_rate = rate["GET /api/me (JWT)"]
    print(
        f"\n1. Throughput, gunicorn with {CORES} sync workers, {args.clients} "
        f"clients (median of {args.rounds} alternating {args.seconds:.0f} s rounds)"
    )
    for label, value in rate.items():
        ratio = jwt_rate / value
        print(f"   {label:<38} {value:8.0f} req/s   JWT / this: {ratio:4.2f}")
    print("   target: JWT / plain Django view >= 0.7")


def refresh_latency(port: int, login: dict, count: int) -> None:
    latencies = []
    refresh_token = login["refresh_token"]
    for _ in range(count):
        started = time.perf_counter()
        body = post_json(
            port, f"{APP}/tokens/refresh", {"refresh_token": refresh_token}
        )
        latencies.append(time.perf_counter() - started)
        refresh_token = body["data"]["refresh_token"]
    print(f"\n2. Refresh token rotation ({count} sequential refreshes)")
    print(f"   {'median latency':<34} {statistics.median(latencies) * 1000:8.1f} ms")
    print(f"   {'p99 latency':<34} {percentile(latencies, 0.99) * 1000:8.1f} ms")


def per_core(web: Gunicorn, redis: RedisServer, emails: list[str], args) -> None:
    """Refresh and /api/me with a JWT, each client with its own session."""

    def sessions() -> list[dict]:
        """A new app session per client: each round's refreshes start from
        a token never used (using one twice would revoke its session)."""
        return [
            app_login(web.port, email, client=n) for n, email in enumerate(emails, 10)
        ]

    works: dict[str, Callable[[], list[tuple]]] = {
        "JWT refresh": lambda: [("refresh", s["refresh_token"]) for s in sessions()],
        "GET /api/me (JWT)": lambda: [
            ("get", "/api/me", {"Authorization": f"Bearer {s['access_token']}"})
            for s in sessions()
        ],
    }
    goals = {"JWT refresh": 120, "GET /api/me (JWT)": 400}
    assert web.process is not None
    assert redis.process is not None
    web_pid, redis_pid = web.process.pid, redis.process.pid
    meter = CpuMeter(
        gunicorn=lambda: process_tree(web_pid),
        postgres=lambda: database_backends(BENCH_DB),
        redis=lambda: [redis_pid],
    )
    meter.idle()
    figures: dict[str, list[dict]] = {label: [] for label in works}
    for _ in range(args.rounds):
        for label, work in works.items():
            clients = work()
            meter.start()
            started = time.monotonic()
            done, client_cpu = run_clients(web.port, clients, args.seconds)
            wall = time.monotonic() - started
            server = meter.stop()
            server_cpu = sum(server.values())
            figures[label].append(
                {
                    "rate": done / wall,
                    "per server CPU second": done / server_cpu,
                    "server CPU per request": server_cpu / done * 1000,
                    "gunicorn share": server["gunicorn"] / server_cpu,
                    "server CPU share": server_cpu / (wall * CORES),
                    "load generator CPU share": client_cpu / (wall * CORES),
                }
            )
    print(
        f"\n3. Per core: gunicorn with {CORES} sync workers on {CORES} cores, "
        f"{args.clients} client processes (median of {args.rounds} alternating "
        f"{args.seconds:.0f} s rounds)"
    )
    rows = [
        ("requests/s (wall)", "rate", "{:8.0f}"),
        (f"requests/s per core (wall / {CORES})", "per core", "{:8.0f}"),
        ("server CPU per request, ms", "server CPU per request", "{:8.2f}"),
        ("  of which gunicorn", "gunicorn share", "{:8.0%}"),
        ("requests per second of server CPU", "per server CPU second", "{:8.0f}"),
        ("server CPU, share of the machine", "server CPU share", "{:8.0%}"),
        (
            "load generator CPU, share of the machine",
            "load generator CPU share",
            "{:8.0%}",
        ),
    ]
    print(f"   {'':<44} {'refresh':>8} {'/api/me':>8}")
    for label, key, shape in rows:
        cells = []
        for name in works:
            if key == "per core":
                value = statistics.median(f["rate"] for f in figures[name]) / CORES
            else:
                value = statistics.median(f[key] for f in figures[name])
            cells.append(shape.format(value))
        print(f"   {label:<44} {' '.join(cells)}")
    print(
        "   goals, per core: refresh >= "
        f"{goals['JWT refresh']}/s, /api/me >= {goals['GET /api/me (JWT)']}/s "
        "(Keycloak publishes 120 refreshes/s per vCPU)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--refreshes", type=int, default=300)
    args = parser.parse_args()

    fresh_database()
    user = UserFactory.create()
    emails = [
        UserFactory.create(email=f"client{n}@bench.example").email
        for n in range(args.clients)
    ]
    with deployed_web() as (web, redis):
        login = app_login(web.port, user.email)
        throughputs(web.port, user, login, args)
        refresh_latency(web.port, login, args.refreshes)
        per_core(web, redis, emails, args)


if __name__ == "__main__":
    main()
