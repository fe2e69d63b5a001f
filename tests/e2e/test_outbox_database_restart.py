"""PostgreSQL going away just after the SMTP server accepted an email: the
email is still sent once.

The worker has handed the message over and must now record it as sent. If
that record were lost with the database, the row would stay "sending" until
its lease ran out, and the sweeper would send it again. The SMTP server here
stops a private PostgreSQL cluster before it answers "250", and starts it
again a few seconds later; the lease is short, so a second copy would come
within the test.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http import HTTPStatus
from typing import TYPE_CHECKING

import psycopg
import pytest
import requests

from tests.support.factories import PASSWORD
from tests.support.processes import (
    ROOT,
    Beat,
    PostgresCluster,
    RedisServer,
    Web,
    Worker,
    service_env,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.smtp import Mailbox, Received

# Short, so a row left "sending" is taken back and sent again within the
# test; a sender waits out an outage for half of it (mail/outbox.py).
LEASE = 16
SWEEP_INTERVAL = 2
DOWN_FOR = 3


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.remove()


def statuses(url: str) -> list[str]:
    with psycopg.connect(url, connect_timeout=5) as connection:
        rows = connection.execute("SELECT status FROM users_outgoingemail").fetchall()
    return [status for (status,) in rows]


def test_an_email_recorded_while_the_database_restarts_is_sent_once(
    cluster, mailbox: Mailbox, artifacts, tmp_path
):
    database = cluster.create_database("accounts")
    redis = RedisServer(tmp_path).start()
    env = service_env(
        DATABASE_URL=database,
        REDIS_URL=redis.url(0),
        CELERY_BROKER_URL=redis.url(1),
        CELERY_TASK_DEFAULT_QUEUE="database-restart",
        EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
        OUTBOX_SENDING_LEASE=str(LEASE),
        OUTBOX_SWEEP_INTERVAL=str(SWEEP_INTERVAL),
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    restarted = threading.Event()

    def restart_later() -> None:
        time.sleep(DOWN_FOR)
        cluster.start()
        restarted.set()

    def database_goes_away(received: Received) -> None:
        if mailbox.on_accept is None:
            return
        mailbox.on_accept = None  # the first email only
        cluster.stop()  # before the worker hears "250"
        threading.Thread(target=restart_later, daemon=True).start()

    web = Web(artifacts, env)
    processes = [
        web,
        Worker(artifacts, env, "--concurrency", "1"),
        Beat(artifacts, env),
    ]
    try:
        for process in processes:
            process.start()
        mailbox.on_accept = database_goes_away
        answer = web.submit(
            requests.Session(),
            "/accounts/signup/",
            {"email": "once@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert answer.status_code == HTTPStatus.FOUND

        assert restarted.wait(60), "the database never came back"
        wait_until(lambda: statuses(database) == ["sent"], 60, "the email recorded")
        # Past the lease and a few sweeps: a row left "sending" would be back.
        time.sleep(LEASE + 3 * SWEEP_INTERVAL)
    finally:
        mailbox.on_accept = None
        for process in processes:
            process.stop()
        redis.kill()

    assert mailbox.recipients() == ["once@example.com"]
    assert statuses(database) == ["sent"]
