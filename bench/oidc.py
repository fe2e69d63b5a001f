"""Benchmark: the OpenID Connect token endpoint, per core, beside our own
JWT refresh, in one run.

    ./dev bench oidc

Runs gunicorn with one sync worker (one core's worth of the service) on the
test settings against PostgreSQL database `accounts_bench`, and measures, in
alternating rounds so all three see the same machine:

1. Authorization code exchanges: `POST /identity/o/api/token` with
   `grant_type=authorization_code`, a confidential app (HTTP Basic, PKCE
   S256), each code made just before the round (codes live 60 s).
2. OpenID Connect refreshes: `grant_type=refresh_token`, each client
   rotating its own refresh token.
3. Our JWT refresh (bench/api.py's): `POST /_allauth/app/v1/tokens/refresh`.

For each: requests per second of wall time, and requests per second of the
worker's own CPU time (read from /proc), which is the rate one core gives
whatever else runs on the machine. A program, not a test: it prints.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from api import post_json
from common import fresh_database

from tests.support.factories import PASSWORD, UserFactory
from tests.support.oidc import pkce
from tests.support.processes import Web, children, service_env

TOKEN = "/identity/o/api/token"
JWT_REFRESH = "/_allauth/app/v1/tokens/refresh"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def post(port: int, path: str, body: bytes, headers: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    answer = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, answer


def app_headers(app: dict) -> dict[str, str]:
    """A confidential app's token request headers: HTTP Basic."""
    credentials = f"{app['client_id']}:{app['client_secret']}".encode()
    return {
        "Authorization": "Basic " + base64.b64encode(credentials).decode(),
        "Content-Type": "application/x-www-form-urlencoded",
    }


def exchange(port: int, app: dict, code: str, verifier: str) -> dict:
    status, answer = post(
        port,
        TOKEN,
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": app["redirect_uri"],
                "code_verifier": verifier,
            }
        ).encode(),
        app_headers(app),
    )
    assert status == 200, answer
    return answer


def exchange_codes(port: int, app: dict, codes: list, done) -> None:
    """One client process: exchange its codes, one after another."""
    for code, verifier in codes:
        exchange(port, app, code, verifier)
    done.put(len(codes))


def refresh_oidc(port: int, app: dict, token: str, seconds: float, done) -> None:
    """One client process: rotate its refresh token until time is up."""
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = urlencode({"grant_type": "refresh_token", "refresh_token": token})
        status, answer = post(port, TOKEN, body.encode(), app_headers(app))
        assert status == 200, answer
        token = answer["refresh_token"]
        count += 1
    done.put(count)


def refresh_jwt(port: int, _app: dict, token: str, seconds: float, done) -> None:
    """The same with the app client's JWT refresh (as bench/api.py does)."""
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = post_json(port, JWT_REFRESH, {"refresh_token": token})
        token = answer["data"]["refresh_token"]
        count += 1
    done.put(count)


def run(target, worker_pid: int, jobs: list[tuple]) -> tuple[int, float, float]:
    """One client process per job; (requests, wall seconds, worker CPU
    seconds)."""
    done: multiprocessing.Queue[int] = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=target, args=(*job, done)) for job in jobs
    ]
    cpu_before, started = cpu_seconds(worker_pid), time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    wall, cpu = time.perf_counter() - started, cpu_seconds(worker_pid) - cpu_before
    return sum(done.get() for _ in processes), wall, cpu


def make_codes(browser, app: dict, count: int) -> list[tuple[str, str]]:
    """Codes a signed-in browser brings back from a first-party app's
    authorization (no consent page), each with its PKCE verifier."""
    codes = []
    for _ in range(count):
        verifier, challenge = pkce()
        response = browser.get(
            "/identity/o/authorize?"
            + urlencode(
                {
                    "client_id": app["client_id"],
                    "redirect_uri": app["redirect_uri"],
                    "response_type": "code",
                    "scope": "openid email profile",
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                }
            )
        )
        query = parse_qs(urlsplit(response["Location"]).query)
        codes.append((query["code"][0], verifier))
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="per refresh round")
    parser.add_argument("--codes", type=int, default=150, help="per exchange round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()

    fresh_database()
    from django.core.management import call_command
    from django.test import Client

    user = UserFactory.create()
    out = io.StringIO()
    redirect_uri = "https://app.example.com/callback"
    call_command(
        "oidc_client", "add", "Bench", "--redirect-uri", redirect_uri,
        "--first-party", stdout=out,
    )  # fmt: skip
    app = {**json.loads(out.getvalue()), "redirect_uri": redirect_uri}
    browser = Client()
    browser.force_login(user)
    results: dict[str, list[tuple[float, float]]] = {
        "code exchange (OIDC)": [],
        "refresh (OIDC)": [],
        "refresh (our JWT)": [],
    }

    with tempfile.TemporaryDirectory() as folder:
        # The service shares this process's Redis, where the codes live.
        env = service_env(DJANGO_LOG_LEVEL="WARNING")
        web = Web(Path(folder), env, "--workers", "1").start()
        try:
            (worker,) = children(web.process.pid)
            for _ in range(args.rounds):
                codes = make_codes(browser, app, args.codes)
                share = len(codes) // args.clients
                jobs = [
                    (web.port, app, codes[i * share : (i + 1) * share])
                    for i in range(args.clients)
                ]
                done, wall, cpu = run(exchange_codes, worker, jobs)
                results["code exchange (OIDC)"].append((done / wall, done / cpu))

                # Each client rotates a refresh token of its own.
                oidc_tokens = [
                    exchange(web.port, app, code, verifier)["refresh_token"]
                    for code, verifier in make_codes(browser, app, args.clients)
                ]
                jwt_tokens = [
                    post_json(
                        web.port,
                        "/_allauth/app/v1/auth/login",
                        {"email": user.email, "password": PASSWORD},
                    )["meta"]["refresh_token"]
                    for _ in range(args.clients)
                ]
                for label, target, tokens in (
                    ("refresh (OIDC)", refresh_oidc, oidc_tokens),
                    ("refresh (our JWT)", refresh_jwt, jwt_tokens),
                ):
                    refresh_jobs = [
                        (web.port, app, token, args.seconds) for token in tokens
                    ]
                    done, wall, cpu = run(target, worker, refresh_jobs)
                    results[label].append((done / wall, done / cpu))
        finally:
            web.stop()

    print(
        f"\nToken endpoint, gunicorn with 1 sync worker, {args.clients} clients, "
        f"median of {args.rounds} alternating rounds"
    )
    print(f"   {'':<24} {'req/s (wall)':>14} {'req/s per CPU-second':>22}")
    for label, figures in results.items():
        wall = statistics.median(f[0] for f in figures)
        cpu = statistics.median(f[1] for f in figures)
        print(f"   {label:<24} {wall:14.0f} {cpu:22.0f}")
    print(
        "   per CPU-second: requests per second of the worker's own CPU time,"
        " the rate one core sustains"
    )


if __name__ == "__main__":
    main()
