"""Benchmark: the server CPU a whole web login costs, beyond the password hash.

    ./dev bench login_cost [--logins 200] [--profile]

Runs gunicorn as deployed (deploy/gunicorn.conf.py, a sync worker per core)
with a private Redis on PostgreSQL database `accounts_bench`, and signs
people in one after another as browsers do: GET the form, POST it. CPU time
is read from /proc for every process that serves them (gunicorn's workers,
their PostgreSQL backends, Redis), so other programs on the machine do not
count. The forms alone are measured in the same way. One password check
(users/hashers.py, as bench/hashing.py times it, in this process, between
each round's forms and logins) is subtracted from each round's whole
login: the median of what is left is what a login costs beyond the hash
(budget: 12 ms).

`--profile` runs the same logins in this process, through Django's test
client, under pyinstrument, and prints where the time goes.

A program, not a test: it measures and prints.
"""

from __future__ import annotations

import argparse
import os
import statistics
from typing import TYPE_CHECKING

import requests

# --profile's logins, in this process, come from many client addresses
# through one trusted proxy, as the server's do.
os.environ.setdefault("DJANGO_TRUSTED_PROXY_COUNT", "1")

from common import (
    BENCH_DB,
    CpuMeter,
    database_backends,
    deployed_web,
    fresh_database,
    process_tree,
)
from hashing import CHECKED, per_verify

from tests.support.factories import PASSWORD, UserFactory
from users.hashers import Argon2idPasswordHasher

if TYPE_CHECKING:
    from tests.support.processes import Gunicorn

CORES = os.cpu_count() or 1
USERS = 20


def browser(n: int) -> requests.Session:
    """A new browser. All come from one network, so after its first login
    each account knows the device and no sign-in alert is mailed; from 250
    addresses in turn, so the per-address login limit never trips."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = f"10.0.0.{n % 250 + 1}"
    return session


def form(web: Gunicorn, n: int) -> None:
    response = browser(n).get(f"{web.url}/accounts/login/", timeout=30)
    assert response.status_code == 200, response.status_code


def login(web: Gunicorn, n: int) -> None:
    session = browser(n)
    token = web.csrf_token(session, "/accounts/login/")
    response = session.post(
        f"{web.url}/accounts/login/",
        data={
            "csrfmiddlewaretoken": token,
            "login": f"login{n % USERS}@bench.example",
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.headers.get("Location") == "/", response.status_code


def cpu_per_call(meter: CpuMeter, call, count: int) -> dict[str, float]:
    """CPU ms per call, by group of processes."""
    meter.start()
    for n in range(count):
        call(n)
    spent = meter.stop()
    return {group: seconds / count * 1000 for group, seconds in spent.items()}


def measure(args: argparse.Namespace) -> None:
    with deployed_web() as (web, redis):
        assert web.process is not None
        assert redis.process is not None
        web_pid, redis_pid = web.process.pid, redis.process.pid
        meter = CpuMeter(
            gunicorn=lambda: process_tree(web_pid),
            postgres=lambda: database_backends(BENCH_DB),
            redis=lambda: [redis_pid],
        )
        forms, logins, hashes = [], [], []
        hasher = Argon2idPasswordHasher()
        encoded = hasher.encode(CHECKED, hasher.salt())
        for n in range(USERS * 2):  # warm up; every account meets the device
            login(web, n)
        meter.idle()
        # Alternating, so all three see the machine alike: the hash, in this
        # process, between a round of forms and a round of logins.
        for _ in range(args.rounds):
            forms.append(cpu_per_call(meter, lambda n: form(web, n), args.logins))
            hashes.append(per_verify(hasher, encoded, 20)[1] * 1000)
            logins.append(cpu_per_call(meter, lambda n: login(web, n), args.logins))
    hash_ms = statistics.median(hashes)

    def median(samples: list[dict[str, float]], group: str) -> float:
        if group == "total":
            return statistics.median(sum(s.values()) for s in samples)
        return statistics.median(s[group] for s in samples)

    print(
        f"\nServer CPU per request, ms (gunicorn with {CORES} sync workers; "
        f"median of {args.rounds} rounds of {args.logins})"
    )
    print(f"   {'':<34} {'gunicorn':>9} {'postgres':>9} {'redis':>9} {'total':>9}")
    for label, samples in (
        ("GET the login form", forms),
        ("whole login: GET form + POST", logins),
    ):
        cells = " ".join(
            f"{median(samples, g):9.2f}"
            for g in ("gunicorn", "postgres", "redis", "total")
        )
        print(f"   {label:<34} {cells}")
    # Each round's logins less the hash measured beside them; the median.
    beyond = statistics.median(
        sum(spent.values()) - hashed
        for spent, hashed in zip(logins, hashes, strict=True)
    )
    print(f"   {'one password check (Argon2id)':<34} {hash_ms:9.2f}")
    print(f"   {'whole login beyond the hash':<34} {beyond:9.2f}   (budget <= 12)")


def profile(args: argparse.Namespace) -> None:
    """The same logins in this process, under pyinstrument: the form's GET
    and the POST apart, each as a tree of where the time goes (percent of
    the total), then the functions that spent it themselves."""
    from http.cookies import SimpleCookie

    from django.test import Client
    from pyinstrument import Profiler

    # One test client, its cookies cleared for each login: a new client
    # would load the middleware again, which gunicorn does once per worker.
    client = Client()

    def browser(n: int) -> Client:
        client.cookies = SimpleCookie()
        client.defaults["HTTP_X_FORWARDED_FOR"] = f"10.0.0.{n % 250 + 1}"
        return client

    def post(n: int) -> None:
        response = client.post(
            "/accounts/login/",
            {"login": f"login{n % USERS}@bench.example", "password": PASSWORD},
        )
        assert response.status_code == 302, response.status_code

    for n in range(USERS * 2):
        browser(n).get("/accounts/login/")
        post(n)
    gets, posts = Profiler(interval=0.0002), Profiler(interval=0.0002)
    for n in range(args.logins):
        with gets:
            browser(n).get("/accounts/login/")
        with posts:
            post(n)
    for title, profiler in (("GET the login form", gets), ("POST it", posts)):
        print(f"\n{title}: {args.logins} in this process")
        print(
            profiler.output_text(
                unicode=True,
                color=False,
                time="percent_of_total",
                processor_options={"filter_threshold": 0.02},
            )
        )
        print(
            profiler.output_text(
                unicode=True, color=False, flat=True, time="percent_of_total"
            )[:3000]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=200, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    fresh_database()
    for n in range(USERS):
        UserFactory.create(email=f"login{n}@bench.example", password=PASSWORD)
    if args.profile:
        profile(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
