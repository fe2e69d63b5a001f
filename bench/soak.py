"""Benchmark: mixed load for minutes, watching errors, mail and memory.

    ./dev bench soak [--minutes 10] [--warmup 2] [--clients 3]

Runs the real service (gunicorn, a Celery worker and beat, a private Redis,
PostgreSQL database `accounts_bench`) against a loopback SMTP server, and
for `--minutes` drives it from `--clients` threads, each doing in turn, at
random: a web signup, the verification of an earlier signup (the link from
its email, confirmed in the browser that signed up), a web login, a
password reset request, a JWT refresh and `GET /api/me` with a JWT. Then
it lets the outbox drain and prints:

- requests by kind and answer; any 5xx is a failure;
- mail: every signup's verification and every reset's email must arrive,
  and every outbox row must be sent; what did not arrive is lost;
- the resident memory of every process of the service (each gunicorn and
  Celery process, beat, Redis, the PostgreSQL backends), less shared
  memory (bench/common.py's unshared_kib), sampled every few seconds:
  after `--warmup` minutes, each should stay within 10% of where it was.

Not part of CI: a program that measures and prints.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import tempfile
import threading
import time
from pathlib import Path

import requests
from common import (
    PASSWORD,
    Service,
    database_backends,
    fresh_database,
    unshared_kib,
)
from common import process_tree as tree

from mail.models import OutgoingEmail
from tests.support.factories import UserFactory
from tests.support.flows import link_in, path_of
from tests.support.processes import wait_until
from tests.support.smtp import Mailbox

APP = "/_allauth/app/v1"
# Enough accounts that allauth's 5 resets a minute per address rarely trip.
USERS = 200
KINDS = ("signup", "verification", "login", "reset", "refresh", "api_me")


class Soak:
    """The load, its tallies, and what each kind of request expects."""

    def __init__(self, service: Service, mailbox: Mailbox) -> None:
        self.service = service
        self.mailbox = mailbox
        self.lock = threading.Lock()
        self.answers: collections.Counter[tuple[str, int]] = collections.Counter()
        self.expected_mail: list[str] = []  # an address per email that must come
        self.unverified: collections.deque = collections.deque()
        self.signups = 0

    def tally(self, kind: str, status: int) -> None:
        with self.lock:
            self.answers[(kind, status)] += 1

    def expect_mail(self, address: str) -> None:
        with self.lock:
            self.expected_mail.append(address)

    def signup(self, thread: int) -> None:
        with self.lock:
            self.signups += 1
            address = f"soak{thread}-{self.signups}@bench.example"
        browser = self.service.client()
        _, response = self.service.post_form(
            browser,
            "/accounts/signup/",
            {"email": address, "password1": PASSWORD, "password2": PASSWORD},
        )
        self.tally("signup", response.status_code)
        if response.status_code == 302:
            self.expect_mail(address)
            self.unverified.append((address, browser))

    def verification(self, thread: int) -> None:
        try:
            address, browser = self.unverified.popleft()
        except IndexError:
            return self.login(thread)
        messages = self.mailbox.to(address)
        if not messages:  # not here yet: back of the line
            self.unverified.append((address, browser))
            return self.login(thread)
        path = path_of(link_in(messages[0].text, "/confirm-email/"))
        _, response = self.service.post_form(browser, path, {})
        self.tally("verification", response.status_code)
        return None

    def login(self, thread: int) -> None:
        _, response = self.service.post_form(
            self.service.client(),
            "/accounts/login/",
            {
                "login": f"user{random.randrange(USERS)}@bench.example",
                "password": PASSWORD,
            },
        )
        self.tally("login", response.status_code)

    def reset(self, thread: int) -> None:
        address = f"user{random.randrange(USERS)}@bench.example"
        _, response = self.service.post_form(
            self.service.client(), "/accounts/password/reset/", {"email": address}
        )
        self.tally("reset", response.status_code)
        if response.status_code == 302:
            self.expect_mail(address)

    def run(self, thread: int, until: float) -> None:
        """One client: an app session for refreshes and /api/me, and the
        rest through web forms, at random, until `until`."""
        api = self.service.client()
        tokens = self.app_login(api, thread)
        actions = {
            "signup": self.signup,
            "verification": self.verification,
            "login": self.login,
            "reset": self.reset,
        }
        while time.monotonic() < until:
            kind = random.choice(KINDS)
            try:
                tokens = self.one(api, tokens, kind, actions, thread)
            except requests.RequestException:
                self.tally(kind, 0)  # no answer at all: a failure too

    def one(self, api, tokens: dict, kind: str, actions: dict, thread: int) -> dict:
        """One request (or form) of `kind`; the app session's tokens after it."""
        if kind == "refresh":
            response = api.post(
                f"{self.service.web.url}{APP}/tokens/refresh",
                json={"refresh_token": tokens["refresh_token"]},
                timeout=30,
            )
            self.tally(kind, response.status_code)
            if response.status_code == 200:
                tokens = response.json()["data"]
            else:
                tokens = self.app_login(api, thread)
        elif kind == "api_me":
            response = api.get(
                f"{self.service.web.url}/api/me",
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
                timeout=30,
            )
            self.tally(kind, response.status_code)
        else:
            actions[kind](thread)
        return tokens

    def app_login(self, api, thread: int) -> dict:
        response = api.post(
            f"{self.service.web.url}{APP}/auth/login",
            json={"email": f"user{thread}@bench.example", "password": PASSWORD},
            timeout=30,
        )
        self.tally("app login", response.status_code)
        return json.loads(response.content)["meta"]


def processes(service: Service) -> dict[str, int]:
    """Every process of the service, by a name that stays put."""
    assert service.web.process is not None
    assert service.worker.process is not None
    assert service.beat.process is not None
    assert service.redis.process is not None
    found = {}
    for label, root in (
        ("gunicorn", service.web.process.pid),
        ("celery worker", service.worker.process.pid),
        ("celery beat", service.beat.process.pid),
    ):
        for n, pid in enumerate(sorted(tree(root))):
            found[f"{label} {n} (pid {pid})"] = pid
    found[f"redis (pid {service.redis.process.pid})"] = service.redis.process.pid
    for pid in sorted(database_backends(service.database)):
        found[f"postgres backend (pid {pid})"] = pid
    return found


def watch_memory(service: Service, until: float, every: float, samples: dict) -> None:
    while time.monotonic() < until:
        at = time.monotonic()
        for name, pid in processes(service).items():
            samples.setdefault(name, []).append((at, unshared_kib(pid)))
        time.sleep(every)


def report(
    soak: Soak, mailbox: Mailbox, samples: dict, warm: float, warmup: float
) -> None:
    print("\n1. Requests, by kind and answer")
    kinds = sorted({kind for kind, _ in soak.answers})
    server_errors = 0
    for kind in kinds:
        answers = {s: n for (k, s), n in soak.answers.items() if k == kind}
        server_errors += sum(n for s, n in answers.items() if s >= 500)
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(answers.items()))
        print(f"   {kind:<14} {sum(answers.values()):6d}   ({shown})")
    print(f"   5xx answers: {server_errors}   (budget: 0)")

    arrived = collections.Counter(r.to[0] for r in mailbox.received)
    expected = collections.Counter(soak.expected_mail)
    lost = sum(max(0, n - arrived[a]) for a, n in expected.items())
    rows = OutgoingEmail.objects.count()
    unsent = OutgoingEmail.objects.exclude(status="sent").count()
    print("\n2. Mail")
    must = sum(expected.values())
    print(f"   emails the flows had to send (verifications, resets): {must}")
    print(f"   outbox rows, all kinds: {rows}; not sent: {unsent}")
    print(f"   messages the SMTP server accepted: {len(mailbox.received)}")
    print(f"   lost: {lost + unsent}   (budget: 0)")

    print(
        f"\n3. Resident memory less shared memory, MiB: at the end of the "
        f"{warmup:.0f} s warm-up, at the end, and the most since"
    )
    print(f"   {'process':<40} {'warm':>8} {'end':>8} {'max':>8} {'change':>8}")
    worst, passing = 0.0, 0
    for name, points in sorted(samples.items()):
        after = [kib for at, kib in points if at >= warm]
        if len(after) < 2 or not all(after):  # came after warm-up, or went
            passing += 1
            continue
        start, end, peak = after[0], after[-1], max(after)
        change = peak / start - 1
        worst = max(worst, change)
        print(
            f"   {name:<40} {start / 1024:8.1f} {end / 1024:8.1f} "
            f"{peak / 1024:8.1f} {change:+8.1%}"
        )
    print(f"   processes that came or went after warm-up (connections): {passing}")
    print(f"   largest growth after warm-up: {worst:+.1%}   (budget: within 10%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2, help="minutes")
    parser.add_argument("--clients", type=int, default=3, help="threads")
    parser.add_argument("--every", type=float, default=5, help="s between samples")
    args = parser.parse_args()

    fresh_database()
    for n in range(USERS):
        UserFactory.create(email=f"user{n}@bench.example", password=PASSWORD)
    mailbox = Mailbox()
    mailbox.start()
    samples: dict[str, list[tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        # Connections kept, so each PostgreSQL backend is one process to watch.
        service = Service(Path(folder), mailbox, DJANGO_CONN_MAX_AGE="3600")
        try:
            soak = Soak(service, mailbox)
            started = time.monotonic()
            until = started + args.minutes * 60
            threads = [
                threading.Thread(target=soak.run, args=(n, until), daemon=True)
                for n in range(args.clients)
            ]
            threads.append(
                threading.Thread(
                    target=watch_memory,
                    args=(service, until, args.every, samples),
                    daemon=True,
                )
            )
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            print(f"Load ran {time.monotonic() - started:.0f} s; draining the outbox")
            wait_until(
                lambda: not OutgoingEmail.objects.exclude(status="sent").exists(),
                300,
                "outbox drained",
            )
            time.sleep(2)
        finally:
            service.stop()
            mailbox.stop()
    report(soak, mailbox, samples, started + args.warmup * 60, args.warmup * 60)


if __name__ == "__main__":
    main()
