"""The deployment of docs/deploy.md, whole, under load, while it is upgraded
and broken.

Debian's nginx, run from the shipped templates (deploy/nginx/), in front of
two gunicorn instances started with deploy/gunicorn.conf.py; two Celery
workers and one beat; a PostgreSQL cluster and a Redis server of this
test's own, and a loopback SMTP server. The production settings, set as
docs/deploy.md says for a service behind nginx. Four clients keep signing
up and logging in over HTTPS through nginx, each from loopback addresses of
its own, while the test:

1. rolls both instances, a reload (SIGHUP) and then a restart of each, as
   docs/deploy.md's upgrade does: drain in nginx, restart, wait for
   /readyz, put back. No request may fail.
2. kills one instance outright (SIGKILL, master and workers). Only requests
   that were on it at that moment may fail; nginx sends the rest to the
   other instance.
3. restarts PostgreSQL. Meanwhile pages answer our short 503 with
   Retry-After and /readyz says 503; afterwards everything works again,
   with no process of ours restarted.
4. checks the mail: each signup that got its success page received exactly
   one verification email, and no address got two.
5. posts a body over nginx's client_max_body_size: nginx answers 413
   itself, without reaching an instance.

Every request is in test-artifacts/topology-requests.jsonl, the counts per
phase in topology-summary.txt, beside each process's log and nginx's.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.factories import PASSWORD
from tests.support.processes import (
    ROOT,
    Beat,
    Gunicorn,
    PostgresCluster,
    Process,
    RedisServer,
    Worker,
    free_port,
    wait_until,
)
from tests.support.smtp import Mailbox
from tests.support.topology import (
    FAILED,
    NGINX,
    OK,
    UNAVAILABLE,
    Nginx,
    Traffic,
    unavailable_answer,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.topology import Attempt

GUNICORN_WORKERS = 2
# Verified accounts the clients log in as.
LOGINS = [f"regular{n}@example.com" for n in range(8)]
CREATE_LOGINS = f"""
from allauth.account.models import EmailAddress
from users.models import User
for address in {LOGINS!r}:
    user = User.objects.create_user(address, {PASSWORD!r})
    EmailAddress.objects.create(user=user, email=address, primary=True, verified=True)
"""


class Deployment:
    """Every process of docs/deploy.md's topology, on one host."""

    def __init__(self, log_dir: Path, cert: Path, key: Path) -> None:
        self.log_dir = log_dir
        self.cert = cert
        # Redis's folder, and the JWT signing key (/etc/accounts/jwt.pem).
        self.workdir = Path(tempfile.mkdtemp(prefix="accounts-test-topology-"))
        self.jwt_key = self.workdir / "jwt.pem"
        self.cluster = PostgresCluster()
        self.redis = RedisServer(self.workdir)
        self.mailbox = Mailbox()
        self.nginx = Nginx(
            log_dir, cert=cert, key=key, upstream_ports=[free_port(), free_port()]
        )
        self.database_url = self.cluster.url("accounts")
        self.env = self.environment()
        # Each instance has its metrics folder, as the unit's RuntimeDirectory.
        self.webs = [
            Gunicorn(
                log_dir,
                {
                    **self.env,
                    "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / f"metrics-{port}"),
                },
                port=port,
            )
            for port in self.nginx.upstream_ports
        ]
        self.workers = [
            Worker(log_dir, self.env, "--concurrency", "1") for _ in range(2)
        ]
        self.beat = Beat(log_dir, self.env)

    def environment(self) -> dict[str, str]:
        """/etc/accounts/env as docs/deploy.md writes it, for this host."""
        return {
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "project.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url(0),
            "CELERY_BROKER_URL": self.redis.url(1),
            "EMAIL_URL": f"smtp://127.0.0.1:{self.mailbox.port}",
            "EMAIL_TIMEOUT": "5",
            "DEFAULT_FROM_EMAIL": "Accounts <accounts@example.com>",
            "DJANGO_PUBLIC_URL": self.nginx.url,
            "DJANGO_BEHIND_TLS_PROXY": "true",
            "DJANGO_TRUSTED_PROXY_COUNT": "1",
            "JWT_PRIVATE_KEY": str(self.jwt_key),
            "DJANGO_STATIC_ROOT": str(self.nginx.static_root),
            "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
            # Test.py's clock for the outbox: the same logic, shorter waits.
            "EMAIL_RETRY_BACKOFF": "1",
            "OUTBOX_SWEEP_INTERVAL": "1",
            "OUTBOX_SENDING_LEASE": "10",
            # Worker and beat consume a queue no other run's worker does.
            "CELERY_TASK_DEFAULT_QUEUE": "topology",
            # The run's stand-in for Have I Been Pwned (tests/support/pwned.py).
            "PWNED_PASSWORDS_URL": os.environ["PWNED_PASSWORDS_URL"],
        }

    def start(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwt_key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.cluster.start()
        self.cluster.create_database("accounts")
        self.redis.start()
        self.mailbox.start()
        self.manage("migrate", "--no-input", "-v0")
        self.manage("shell", "-c", CREATE_LOGINS)
        for process in self.processes():
            process.start()
        self.nginx.start()
        for web in self.webs:
            wait_ready(web)

    def processes(self) -> list[Process]:
        return [*self.webs, *self.workers, self.beat]

    def pids(self) -> dict[str, int | None]:
        """Each process of ours, and the id it runs as (None: not running)."""
        return {
            process.name: process.process.pid
            if process.process and process.process.poll() is None
            else None
            for process in self.processes()
        }

    def manage(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def outbox(self) -> Counter[str]:
        """The outbox's rows by status."""
        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            rows = connection.execute(
                "SELECT status, count(*) FROM users_outgoingemail GROUP BY status"
            ).fetchall()
        return Counter(dict(rows))

    def stop(self) -> None:
        for process in self.processes():
            process.stop()
        self.nginx.stop()
        self.mailbox.stop()
        self.redis.kill()
        if self.cluster.log_path.exists():
            shutil.copy(self.cluster.log_path, self.log_dir / "topology-postgres.log")
        self.cluster.remove()
        shutil.rmtree(self.workdir, ignore_errors=True)


def wait_ready(web: Gunicorn, timeout: float = 30) -> None:
    """docs/deploy.md's check before an instance goes back into nginx:
    /readyz on the instance itself."""

    def ready() -> bool:
        try:
            response = requests.get(f"{web.url}/readyz", timeout=5)
        except requests.RequestException:
            return False
        return response.status_code == HTTPStatus.OK

    wait_until(ready, timeout, f"{web.name} ready")


@pytest.fixture
def deployment(artifacts, certificate) -> Iterator[Deployment]:
    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} is missing: apt-get install -y nginx")
    cert, key = certificate
    stack = Deployment(artifacts, cert, key)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@dataclass
class Timeline:
    """When things happened (time.monotonic()), to judge requests by."""

    started: float = field(default_factory=time.monotonic)
    marks: dict[str, float] = field(default_factory=dict)
    # (port, from, to): while nginx had drained that instance.
    drained: list[tuple[int, float, float]] = field(default_factory=list)

    def mark(self, name: str) -> float:
        self.marks[name] = time.monotonic()
        return self.marks[name]

    def describe(self) -> str:
        return ", ".join(
            f"{name} {at - self.started:.1f}" for name, at in self.marks.items()
        )


def test_the_deployment_survives_upgrades_crashes_and_a_database_restart(
    deployment: Deployment, capsys
):
    nginx = deployment.nginx
    traffic = Traffic(
        origin=nginx.url,
        verify=str(deployment.cert),
        logins=LOGINS,
        password=PASSWORD,
        phase="warm-up",
    ).start()
    timeline = Timeline()
    try:
        time.sleep(3)
        traffic.phase = "rolling"
        roll_every_instance(deployment, timeline)
        traffic.phase = "crash"
        crash_one_instance(deployment, timeline)
        traffic.phase = "database"
        down = restart_postgresql(deployment, traffic, timeline)
        traffic.phase = "after"
        time.sleep(3)
    finally:
        traffic.stop()
        traffic.save(deployment.log_dir / "topology-requests.jsonl")
        timeline.mark("traffic stopped")

    # 4. Every email the outbox holds goes out, within a bound.
    wait_until(
        lambda: not {"pending", "sending"} & set(deployment.outbox()),
        60,
        "every outbox row sent",
    )
    timeline.mark("outbox drained")

    summary = report(traffic, deployment, timeline, down)
    (deployment.log_dir / "topology-summary.txt").write_text(summary)
    with capsys.disabled():
        sys.stdout.write(f"\n{summary}\n")

    # 5. A body over client_max_body_size is refused by nginx itself.
    too_large = requests.post(
        f"{nginx.url}/accounts/login/",
        data=b"x" * (1024 * 1024 + 1),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Request-ID": "body-over-the-limit",
        },
        verify=str(deployment.cert),
        timeout=30,
    )

    assert too_large.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    # nginx logs a request once it has drained its body, after answering.
    wait_until(
        lambda: any(
            line["request_id"] == "body-over-the-limit" for line in nginx.access_log()
        ),
        10,
        "the refused request in nginx's access log",
    )
    access_log = {line["request_id"]: line for line in nginx.access_log()}
    assert access_log["body-over-the-limit"]["upstream_addr"] in ("", "-")
    assert_rolling_lost_nothing(traffic, timeline, access_log)
    assert_only_the_crashed_requests_failed(traffic, deployment, timeline, access_log)
    assert_the_outage_answered_503(traffic, access_log)
    assert_down_probes(down)
    assert_mail(traffic, deployment)
    serious = [
        line
        for line in nginx.error_log().splitlines()
        if any(f"[{level}]" in line for level in ("alert", "crit", "emerg"))
    ]
    assert not serious, "\n".join(serious)


# The phases


def roll_every_instance(deployment: Deployment, timeline: Timeline) -> None:
    """1. docs/deploy.md's upgrade, step 6, for each instance in turn: first
    a reload (SIGHUP) of each, then a restart of each."""
    nginx = deployment.nginx
    for action in ("reload", "restart"):
        for web in deployment.webs:
            nginx.drain(web.port)
            drained = time.monotonic()
            if action == "reload":
                web.reload()
            else:
                web.terminate()
                web.start()
            wait_ready(web)
            timeline.drained.append((web.port, drained, time.monotonic()))
            nginx.drain(None)
            time.sleep(1)
    timeline.mark("rolled")


def crash_one_instance(deployment: Deployment, timeline: Timeline) -> None:
    """2. SIGKILL one instance's master and workers. systemd would start it
    again after RestartSec (2 s); this waits past nginx's fail_timeout (5 s),
    so that nginx also tries the dead instance again and goes around it."""
    time.sleep(1)  # whatever is in flight at the kill belongs to this phase
    victim = deployment.webs[0]
    # The kill takes a moment (signal, reaping): a request is in flight at
    # it if it overlaps the span between these two marks.
    timeline.mark("killing")
    victim.kill()
    timeline.mark("killed")
    time.sleep(7)
    victim.start()
    wait_ready(victim)
    timeline.mark("restarted")
    time.sleep(2)


def restart_postgresql(
    deployment: Deployment, traffic: Traffic, timeline: Timeline
) -> dict[str, requests.Response]:
    """3. `pg_ctl stop -m fast`, a few seconds down, start. Nothing of ours
    restarts: every process has the pid it had before. Returns what nginx
    answered meanwhile for each kind of path."""
    time.sleep(1)
    before = deployment.pids()
    deployment.cluster.stop()
    timeline.mark("database down")
    time.sleep(1)
    down = probe(deployment.nginx)
    time.sleep(2)
    deployment.cluster.start()
    up = timeline.mark("database up")
    wait_until(
        lambda: any(
            a.outcome == OK and a.path == "/accounts/signup/" and a.method == "POST"
            for a in traffic.since(up)
        ),
        30,
        "a signup succeeding after PostgreSQL is back",
    )
    for web in deployment.webs:
        wait_ready(web, timeout=10)
    timeline.mark("recovered")
    assert deployment.pids() == before, "a process restarted or died"
    return down


def probe(nginx: Nginx) -> dict[str, requests.Response]:
    paths = {
        "page": "/accounts/login/",
        "readyz": "/readyz",
        "api": "/_allauth/browser/v1/auth/session",
        "healthz": "/healthz",
    }
    return {
        name: requests.get(f"{nginx.url}{path}", verify=str(nginx.cert), timeout=10)
        for name, path in paths.items()
    }


# What must hold


def failures(attempts: list[Attempt]) -> list[Attempt]:
    return [a for a in attempts if a.outcome != OK]


def explain(attempts: list[Attempt], access_log: dict[str, dict]) -> str:
    """Each attempt, and what nginx logged for it (the X-Request-ID it sent)."""
    return "\n".join(
        f"{a.describe()}\n    nginx: {access_log.get(a.request_id, 'nothing logged')}"
        for a in attempts
    )


def upstream(access_log: dict[str, dict], attempt: Attempt) -> str:
    """The instances nginx tried for `attempt`, as it logged them."""
    return access_log.get(attempt.request_id, {}).get("upstream_addr", "")


def assert_rolling_lost_nothing(
    traffic: Traffic, timeline: Timeline, access_log: dict[str, dict]
) -> None:
    for phase in ("warm-up", "rolling", "after"):
        failed = failures(traffic.in_phase(phase))
        assert not failed, f"{phase}: failed requests:\n{explain(failed, access_log)}"
        assert traffic.signed_up(phase), f"{phase}: no signup succeeded"
    # While an instance was drained, nginx sent it nothing.
    for port, drained, undrained in timeline.drained:
        during = [
            a for a in traffic.in_phase("rolling") if drained <= a.started < undrained
        ]
        assert during, f"no request while 127.0.0.1:{port} was drained"
        reached = [
            a
            for a in during
            if a.ended < undrained and f":{port}" in upstream(access_log, a)
        ]
        assert not reached, (
            f"sent to the drained {port}:\n{explain(reached, access_log)}"
        )


def assert_only_the_crashed_requests_failed(
    traffic: Traffic,
    deployment: Deployment,
    timeline: Timeline,
    access_log: dict[str, dict],
) -> None:
    killing, killed = timeline.marks["killing"], timeline.marks["killed"]
    victim = f"127.0.0.1:{deployment.webs[0].port}"
    crashed = failures(traffic.in_phase("crash"))
    for attempt in crashed:
        why = explain([attempt], access_log)
        assert attempt.outcome == FAILED, why
        # It was on its way when the instance died, nginx had sent it
        # there, and it was a POST, which nginx never sends twice.
        assert attempt.started < killed, why
        assert killing < attempt.ended, why
        assert victim in upstream(access_log, attempt), why
        assert attempt.method == "POST", why
    # At most one request in flight per client; in practice 0 to 2.
    assert len(crashed) <= traffic.clients, explain(crashed, access_log)
    assert traffic.signed_up("crash"), "crash: no signup succeeded"


def assert_the_outage_answered_503(
    traffic: Traffic, access_log: dict[str, dict]
) -> None:
    """Whatever did not succeed while PostgreSQL was down or coming back got
    our 503 (unavailable_answer), from the service, never one of nginx's."""
    attempts = traffic.in_phase("database")
    wrong = [a for a in attempts if a.outcome == FAILED]
    assert not wrong, f"database: not our 503:\n{explain(wrong, access_log)}"
    unavailable = [a for a in attempts if a.outcome == UNAVAILABLE]
    assert unavailable, "no client met the outage"
    for attempt in unavailable:
        # One instance answered; nginx did not move the request on.
        line = access_log.get(attempt.request_id, {})
        assert line.get("upstream_status") == "503", explain([attempt], access_log)


def assert_down_probes(probes: dict[str, requests.Response]) -> None:
    page = probes["page"]
    assert unavailable_answer(page) is None, (unavailable_answer(page), page.text)
    assert page.headers["Content-Type"].startswith("text/html"), page.headers

    ready = probes["readyz"]
    assert ready.status_code == HTTPStatus.SERVICE_UNAVAILABLE, ready.text
    assert ready.json()["checks"]["database"] != "ok", ready.text

    api = probes["api"]
    assert unavailable_answer(api) is None, (unavailable_answer(api), api.text)
    body = api.json()
    assert body["status"] == HTTPStatus.SERVICE_UNAVAILABLE, body
    assert body["errors"], body

    health = probes["healthz"]
    assert health.status_code == HTTPStatus.OK, health.text
    assert health.json() == {"status": "ok"}


def assert_mail(traffic: Traffic, deployment: Deployment) -> None:
    outbox = deployment.outbox()
    assert set(outbox) <= {"sent"}, outbox
    mailbox = deployment.mailbox
    received = Counter(mailbox.recipients())
    twice = {address: n for address, n in received.items() if n > 1}
    assert not twice, f"sent more than once: {twice}"
    succeeded = traffic.signed_up()
    missing = [address for address in succeeded if address not in received]
    assert not missing, f"a success page but no email: {missing}"
    # Nothing to the accounts that logged in (no new-device alerts: one
    # device), nothing to anyone else.
    strangers = set(received) - set(traffic.tried)
    assert not strangers, f"mail to addresses nobody signed up with: {strangers}"
    for address in succeeded:
        (message,) = mailbox.to(address)
        assert "/accounts/confirm-email/" in message.text, message.text
    assert sum(outbox.values()) == len(received), (outbox, len(received))


def report(
    traffic: Traffic,
    deployment: Deployment,
    timeline: Timeline,
    down: dict[str, requests.Response],
) -> str:
    columns = ("requests", OK, UNAVAILABLE, FAILED, "signups")
    lines = [
        "topology: requests by phase (signups: success pages)",
        "".join(f"{name:>13}" for name in ("phase", *columns)),
    ]
    for phase, counts in traffic.summary().items():
        lines.append(
            f"{phase:>13}" + "".join(f"{counts[name]:>13}" for name in columns)
        )
    received = Counter(deployment.mailbox.recipients())
    succeeded = set(traffic.signed_up())
    unconfirmed = [a for a in set(traffic.tried) - succeeded if a in received]
    lines += [
        (
            f"emails: {sum(received.values())} to {len(received)} addresses; "
            f"{len(succeeded)} success pages; {len(unconfirmed)} to signups "
            "whose answer was lost (committed, then the answer failed)"
        ),
        f"outbox: {dict(deployment.outbox())}",
        "while PostgreSQL was down: "
        + ", ".join(
            f"{name} {r.status_code} ({len(r.content)} bytes)"
            for name, r in down.items()
        ),
        f"seconds: {timeline.describe()}",
    ]
    lines += [f"  {a.describe()}" for a in traffic.attempts if a.outcome == FAILED]
    return "\n".join(lines)
