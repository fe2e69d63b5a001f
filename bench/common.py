"""What every benchmark shares: Django set up on its own database.

Import this first: it points Django at PostgreSQL database `accounts_bench`
(or BENCH_DB; dropped and made afresh by `fresh_database()`), never at the
tests' or anyone's real data.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import ipaddress
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A benchmark may name its own (BENCH_DB), so two can run side by side.
BENCH_DB = os.environ.get("BENCH_DB", "accounts_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings.test"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"

from tests.support.processes import RedisServer
from tests.support.pwned import FakeRangeAPI

# The benchmark process's own cache: never the machine's shared Redis.
_redis = RedisServer(Path(tempfile.mkdtemp(prefix="bench-redis-"))).start()
atexit.register(_redis.kill)
os.environ.setdefault("REDIS_URL", _redis.url(0))
# No benchmark reaches the internet: the breached-password API is a fake.
_pwned = FakeRangeAPI()
atexit.register(_pwned.stop)
os.environ.setdefault("PWNED_PASSWORDS_URL", _pwned.url)

import django

django.setup()
logging.getLogger("mail.log").setLevel(logging.WARNING)  # the SMTP server's chatter

from typing import TYPE_CHECKING

import requests

from tests.support.processes import Beat, Process, Web, Worker, service_env
from tests.support.smtp import Mailbox

if TYPE_CHECKING:
    from collections.abc import Iterator

PASSWORD = "bench-Password-for-signups-1"


class Service:
    """The service as separate processes: gunicorn, one Celery worker
    (concurrency 1), beat, and a private Redis, mailing `mailbox`."""

    def __init__(self, log_dir: Path, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.processes: list[Process] = []
        self.redis = RedisServer(log_dir).start()
        self.env = service_env(
            REDIS_URL=self.redis.url(0),
            CELERY_BROKER_URL=self.redis.url(1),
            CELERY_TASK_DEFAULT_QUEUE="bench",
            EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
            # Each signup comes from its own client address (through one
            # trusted proxy), so allauth's per-client signup limit stays on
            # without throttling the benchmark.
            DJANGO_TRUSTED_PROXY_COUNT="1",
        )
        self.log_dir = log_dir
        # The web server logs only what goes wrong, so the timings hold no
        # logging; worker and beat log at INFO, where they say they are up.
        try:
            self.web = self._start(
                Web(log_dir, {**self.env, "DJANGO_LOG_LEVEL": "WARNING"})
            )
            self.beat = self._start(Beat(log_dir, self.env))
            self.worker = self._start(Worker(log_dir, self.env, "--concurrency", "1"))
        except BaseException:
            self.stop()  # what did start, before the error goes on
            raise
        self.clients = 0

    def _start[P: Process](self, process: P) -> P:
        self.processes.append(process)
        return process.start()

    def client(self) -> requests.Session:
        """A new browser, from a client address of its own (through the one
        trusted proxy), so allauth's per-client limits never throttle a run."""
        self.clients += 1
        session = requests.Session()
        session.headers["X-Forwarded-For"] = str(
            ipaddress.IPv4Address("10.0.0.0") + self.clients
        )
        return session

    def post_form(
        self, session: requests.Session, path: str, data: dict, token_from: str = ""
    ) -> tuple[float, requests.Response]:
        """Load the form page (`token_from`, else `path`) for its CSRF token,
        then POST: the POST's own latency in seconds, and its response."""
        token = self.web.csrf_token(session, token_from or path)
        started = time.perf_counter()
        response = session.post(
            f"{self.web.url}{path}",
            data={"csrfmiddlewaretoken": token, **data},
            allow_redirects=False,
            timeout=30,
        )
        return time.perf_counter() - started, response

    def signup(self, email: str, password: str = PASSWORD) -> float:
        """POST one signup from a new browser; the POST's own latency."""
        elapsed, response = self.post_form(
            self.client(),
            "/accounts/signup/",
            {"email": email, "password1": password, "password2": password},
        )
        assert response.status_code == 302, response.status_code
        return elapsed

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.redis.kill()


@contextlib.contextmanager
def running_service() -> Iterator[Service]:
    """The service, mailing an SMTP server of its own (`service.mailbox`);
    all of it stopped on the way out, after a failed start too."""
    mailbox = Mailbox()
    mailbox.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            service = Service(Path(folder), mailbox)
            try:
                yield service
            finally:
                service.stop()
    finally:
        mailbox.stop()


# One request for `throughput`: method, path, headers, body.
Request = tuple[str, str, dict[str, str], str | None]


def hammer(port: int, request: Request, seconds: float, offset: int, counts) -> None:
    """One client process: sequential requests until time is up, each on a
    new connection and from its own address (X-Forwarded-For, for a server
    behind one trusted proxy), so allauth's per-client limits never throttle
    a run. Puts how many it made on `counts`."""
    method, path, headers, body = request
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        forwarded = str(ipaddress.IPv4Address("10.0.0.0") + offset + done)
        connection.request(
            method, path, body=body, headers={**headers, "X-Forwarded-For": forwarded}
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
        connection.close()
        done += 1
    counts.put(done)


def throughput(port: int, request: Request, seconds: float, clients: int) -> float:
    """Requests a second that `clients` processes get answered, together."""
    counts: multiprocessing.Queue[int] = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(
            target=hammer, args=(port, request, seconds, n * 100_000, counts)
        )
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        msg = "a client process failed (its traceback is above)"
        raise SystemExit(msg)
    return sum(counts.get() for _ in processes) / seconds


def post_json(port: int, path: str, body: dict) -> dict:
    """POST `body` as JSON, from one fixed client address; the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={"Content-Type": "application/json", "X-Forwarded-For": "10.255.0.1"},
    )
    return json.loads(connection.getresponse().read())


def fresh_database() -> None:
    from django.db import connections

    connections.close_all()
    for statement in (
        f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)",
        f"CREATE DATABASE {BENCH_DB}",
    ):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement],
            check=True,
        )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ},
        check=True,
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
