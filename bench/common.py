"""What every benchmark shares: Django set up on its own database.

Import this first: it points Django at PostgreSQL database `accounts_bench`
(or `$BENCH_DATABASE`), dropped and made afresh by `fresh_database()`, never
at the tests' or anyone's real data: a database is dropped or reused only
if a benchmark made it (its comment says so).
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
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE", "accounts_bench")
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

from tests.support.processes import (
    Beat,
    Gunicorn,
    Process,
    Web,
    Worker,
    children,
    service_env,
)
from tests.support.smtp import Mailbox

if TYPE_CHECKING:
    from collections.abc import Iterator

PASSWORD = "bench-Password-for-signups-1"


class Service:
    """The service as separate processes: gunicorn, one Celery worker
    (concurrency 1), beat, and a private Redis, mailing `mailbox`."""

    def __init__(
        self,
        log_dir: Path,
        mailbox: Mailbox,
        database: str = BENCH_DB,
        **env: str,
    ) -> None:
        self.mailbox = mailbox
        self.processes: list[Process] = []
        self.redis = RedisServer(log_dir).start()
        self.database = database
        self.env = service_env(
            DATABASE_URL=database_url(database),
            REDIS_URL=self.redis.url(0),
            CELERY_BROKER_URL=self.redis.url(1),
            CELERY_TASK_DEFAULT_QUEUE="bench",
            EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
            # As production logs; the lines that say a process is ready
            # are INFO.
            DJANGO_LOG_LEVEL="INFO",
            # Each signup comes from its own client address (through one
            # trusted proxy), so allauth's per-client signup limit stays on
            # without throttling the benchmark.
            DJANGO_TRUSTED_PROXY_COUNT="1",
            **env,
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


@contextlib.contextmanager
def deployed_web() -> Iterator[tuple[Gunicorn, RedisServer]]:
    """gunicorn as deployed (deploy/gunicorn.conf.py, a sync worker per
    core) with a private Redis whose rate limits start empty; each worker
    keeps its database connection (60 s in production), so its backend's
    CPU is counted to the end. Both stopped on the way out."""
    with tempfile.TemporaryDirectory() as folder:
        redis = RedisServer(Path(folder)).start()
        try:
            env = service_env(
                DJANGO_LOG_LEVEL="INFO",
                REDIS_URL=redis.url(0),
                CELERY_BROKER_URL=redis.url(1),
                GUNICORN_WORKERS=str(os.cpu_count() or 1),
                DJANGO_CONN_MAX_AGE="3600",
                DJANGO_TRUSTED_PROXY_COUNT="1",
            )
            web = Gunicorn(Path(folder), env).start()
            try:
                yield web, redis
            finally:
                web.stop()
        finally:
            redis.kill()


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


# Every database a benchmark makes carries this comment; one without it was
# made by someone else, and is neither dropped nor reused.
MADE_BY_BENCH = "made by bench/common.py; dropped and remade by benchmarks"


def psql(statement: str) -> None:
    """Run one statement (on names of our own) as the postgres user."""
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement],
        check=True,
    )


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def made_by_bench(name: str) -> bool | None:
    """True if a benchmark made database `name`, False if someone else did,
    None if there is no such database."""
    import psycopg

    with psycopg.connect(database_url("postgres")) as server:
        row = server.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') "
            "FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
    if row is None:
        return None
    # accounts_bench predates the comment: it was only ever a benchmark's.
    return row[0] == MADE_BY_BENCH or name == "accounts_bench"


def fresh_database(name: str = BENCH_DB) -> None:
    """Drop database `name` (if a benchmark made it), make it again and
    migrate it. Refuses to touch a database a benchmark did not make."""
    from django.db import connections

    if made_by_bench(name) is False:
        msg = (
            f"database {name!r} exists and no benchmark made it: not touching it "
            "(choose another name with BENCH_DATABASE)"
        )
        raise SystemExit(msg)
    connections.close_all()
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name}")
    psql(f"COMMENT ON DATABASE {name} IS '{MADE_BY_BENCH}'")
    migrate(name)


def migrate(name: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(name)},
        check=True,
    )


# What processes cost: CPU time and resident memory, read from /proc.
TICK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and its live descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children(current))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children that have exited (and been
    waited for): utime, stime, cutime and cstime."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return sum(int(value) for value in fields[11:15]) / TICK


def rss_kib(pid: int) -> int:
    """Resident memory of one process, in KiB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    match = re.search(r"VmRSS:\s+(\d+)", status)
    return int(match[1]) if match else 0


def unshared_kib(pid: int) -> int:
    """Resident memory of one process less shared memory, in KiB (0 if it is
    gone): RssAnon + RssFile. A PostgreSQL backend's RSS also counts each
    page of the shared buffer pool it has touched so far, which grows to
    the pool's size with no leak at all."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return sum(
        int(match[1]) for match in re.finditer(r"Rss(?:Anon|File):\s+(\d+)", status)
    )


def database_backends(name: str) -> list[int]:
    """The PostgreSQL server processes serving connections to database `name`,
    other than this process's own (and autovacuum's, which come and go)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            [name],
        )
        return [pid for (pid,) in cursor.fetchall()]


class CpuMeter:
    """CPU seconds spent by groups of processes between `start()` and `stop()`.

    Each group is a function returning the pids to count now (a process
    tree, a database's backends). A pid seen only at the end counts from
    zero; the CPU of a process that exited in between is counted only if a
    counted parent waited for it (a gunicorn master for its workers).
    Processes of other programs on the machine never count, so the figure
    holds on a busy machine too.

    What the processes spend doing nothing (Redis's timers, gunicorn's
    arbiter) is measured by `idle()` and taken off every later figure.
    """

    def __init__(self, **groups) -> None:
        self.groups = groups
        self.before: dict[str, dict[int, float]] = {}
        self.started = 0.0
        self.spent: dict[str, float] = {}
        self.idle_rate = dict.fromkeys(groups, 0.0)

    def idle(self, seconds: float = 5) -> dict[str, float]:
        """CPU seconds per second each group spends with no request."""
        self.start()
        time.sleep(seconds)
        self.idle_rate = dict.fromkeys(self.groups, 0.0)
        self.idle_rate = {
            group: spent / seconds for group, spent in self.stop().items()
        }
        return self.idle_rate

    def _read(self) -> dict[str, dict[int, float]]:
        return {
            name: {pid: cpu_seconds(pid) for pid in pids()}
            for name, pids in self.groups.items()
        }

    def start(self) -> CpuMeter:
        self.before = self._read()
        self.started = time.monotonic()
        return self

    def stop(self) -> dict[str, float]:
        after = self._read()
        elapsed = time.monotonic() - self.started
        self.spent = {
            name: max(
                0.0,
                sum(
                    max(0.0, seconds - self.before[name].get(pid, 0.0))
                    for pid, seconds in after[name].items()
                )
                - self.idle_rate[name] * elapsed,
            )
            for name in self.groups
        }
        return self.spent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
