"""Fault tests: no email is lost when SMTP, a worker or Redis fails.

Each test runs the whole service as separate processes: gunicorn, Celery
workers and beat, a private redis-server this file may kill, PostgreSQL, and
the loopback SMTP server. Signups go over HTTP, as a browser sends them.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
import requests
from django.utils import timezone
from kombu import Connection

from mail.models import OutgoingEmail
from mail.tasks import send_outgoing_email
from tests.support.factories import PASSWORD, UserFactory
from tests.support.processes import (
    Beat,
    RedisServer,
    Web,
    Worker,
    service_env,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.smtp import Mailbox

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "faults"


class Stack:
    """The service's processes, each started, stopped or killed at will."""

    def __init__(self, redis: RedisServer, mailbox: Mailbox, log_dir) -> None:
        self.redis = redis
        self.mailbox = mailbox
        self.env = service_env(
            REDIS_URL=redis.url(0),
            CELERY_BROKER_URL=redis.url(1),
            CELERY_TASK_DEFAULT_QUEUE=QUEUE,
            EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
            EMAIL_TIMEOUT="5",
        )
        self.log_dir = log_dir
        self.web = Web(log_dir, self.env)
        self.beat = Beat(log_dir, self.env)
        self.workers: list[Worker] = []

    def worker(self, concurrency: int = 1) -> Worker:
        worker = Worker(self.log_dir, self.env, "--concurrency", str(concurrency))
        self.workers.append(worker)
        return worker.start()

    def stop(self) -> None:
        for process in [*self.workers, self.beat, self.web]:
            process.stop()

    def signup(self, email: str) -> requests.Response:
        return self.web.submit(
            requests.Session(),
            "/accounts/signup/",
            {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        )


@pytest.fixture
def stack(mailbox, tmp_path, artifacts, no_session_worker) -> Iterator[Stack]:
    redis = RedisServer(tmp_path).start()
    services = Stack(redis, mailbox, artifacts)
    services.web.start()
    yield services
    services.stop()
    redis.kill()
    # Whatever happened, nothing sent keeps a body.
    assert (
        not OutgoingEmail.objects.filter(status="sent").exclude(body_text="").exists()
    )


def assert_each_delivered_once(mailbox: Mailbox, addresses: list[str]) -> None:
    mailbox.wait_for(len(addresses), timeout=60)
    wait_until(
        lambda: not OutgoingEmail.objects.exclude(status="sent").exists(),
        30,
        "every outbox row sent",
    )
    # Every row is sent, which is final: no sender claims a sent row again,
    # so what arrived is all that will.
    assert sorted(mailbox.recipients()) == sorted(addresses)


def test_smtp_451_during_ten_signups_then_recovery_delivers_each_once(stack, mailbox):
    stack.worker()
    stack.beat.start()
    mailbox.reply = "451 4.3.0 Temporary failure, try again later"
    addresses = [f"deferred{n}@example.com" for n in range(10)]

    for address in addresses:
        assert stack.signup(address).status_code == HTTPStatus.FOUND
    wait_until(
        lambda: (
            OutgoingEmail.objects.filter(attempts__gte=1, status="pending").count()
            == 10
        ),
        30,
        "every email refused at least once",
    )
    mailbox.reply = None

    assert_each_delivered_once(mailbox, addresses)
    assert all(row.attempts >= 2 for row in OutgoingEmail.objects.all())


def test_worker_killed_mid_batch_resends_only_the_message_in_flight(stack, mailbox):
    worker = stack.worker()
    stack.beat.start()
    mailbox.delay = 0.4  # each message takes a while, so the kill lands mid-send
    addresses = [f"batch{n}@example.com" for n in range(8)]
    for address in addresses:
        assert stack.signup(address).status_code == HTTPStatus.FOUND

    mailbox.wait_for(2, timeout=30)
    worker.kill()
    mailbox.delay = 0
    stack.worker()

    mailbox.wait_for(8, timeout=60)
    wait_until(
        lambda: not OutgoingEmail.objects.exclude(status="sent").exists(),
        60,
        "every outbox row sent",
    )
    counts = Counter(mailbox.recipients())
    assert set(counts) == set(addresses)
    twice = [address for address, n in counts.items() if n > 1]
    assert len(twice) <= 1
    assert all(counts[address] == 2 for address in twice)


def test_queue_lost_with_redis_is_still_delivered(stack, mailbox):
    addresses = [f"lost{n}@example.com" for n in range(5)]
    for address in addresses:  # no worker yet: the tasks sit in Redis
        assert stack.signup(address).status_code == HTTPStatus.FOUND
    assert stack.redis.process is not None

    stack.redis.kill()  # it keeps nothing on disk: the queue is gone
    stack.redis.start()
    stack.worker()
    stack.beat.start()

    assert_each_delivered_once(mailbox, addresses)


def test_signups_while_redis_is_down_succeed_and_are_delivered_after(stack, mailbox):
    stack.worker()
    stack.beat.start()
    stack.redis.kill()
    addresses = [f"outage{n}@example.com" for n in range(3)]

    for address in addresses:
        assert stack.signup(address).status_code == HTTPStatus.FOUND
    assert OutgoingEmail.objects.filter(status="pending").count() == 3

    stack.redis.start()
    assert_each_delivered_once(mailbox, addresses)
    assert "Redis cache unreachable" in stack.web.log()


def test_pages_and_login_work_while_redis_is_down(stack):
    user = UserFactory.create()
    stack.redis.kill()
    session = requests.Session()

    for path in [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
    ]:
        assert (
            session.get(f"{stack.web.url}{path}", timeout=10).status_code
            == HTTPStatus.OK
        )
    login = stack.web.submit(
        session, "/accounts/login/", {"login": user.email, "password": PASSWORD}
    )

    assert login.status_code == HTTPStatus.FOUND
    assert login.headers["Location"] == "/"
    home = session.get(f"{stack.web.url}/", timeout=10)
    assert user.email in home.text


def test_two_workers_and_the_sweeper_racing_over_200_rows_send_each_once(
    stack, mailbox
):
    now = timezone.now()
    rows = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            to=f"race{n}@example.com",
            subject="Race",
            body_text=f"message {n}",
            kind="notification",
            idempotency_key=f"race-{n}",
            next_attempt_at=now - timedelta(seconds=1),
        )
        for n in range(200)
    )
    # Every row has a fast-path task too, so tasks and sweeps collide.
    with Connection(stack.redis.url(1)) as broker:
        for row in rows:
            send_outgoing_email.apply_async((row.pk,), queue=QUEUE, connection=broker)

    stack.worker(concurrency=2)
    stack.worker(concurrency=2)
    stack.beat.start()

    assert_each_delivered_once(mailbox, [f"race{n}@example.com" for n in range(200)])
