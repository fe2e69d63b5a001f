"""A new email never waits for a sweep: with one worker slot, a signup's
verification goes out while a long backlog is still being swept, and the
sweep, sliced, still sends every row of the backlog once.

The service runs as operators run it (gunicorn, `celery -A project worker`
with concurrency 1), on a private Redis, with a sweep that may run for two
minutes: long enough that, unsliced, it would send the whole backlog first.
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
from mail.tasks import sweep_outbox
from tests.support.factories import PASSWORD
from tests.support.processes import RedisServer, Web, Worker, service_env, wait_until

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.smtp import Mailbox

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "sweep-yields"
BACKLOG = 1500


@pytest.fixture
def service(mailbox, tmp_path, artifacts, no_session_worker) -> Iterator[dict]:
    redis = RedisServer(tmp_path).start()
    env = service_env(
        REDIS_URL=redis.url(0),
        CELERY_BROKER_URL=redis.url(1),
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        EMAIL_URL=f"smtp://127.0.0.1:{mailbox.port}",
        EMAIL_TIMEOUT="5",
        OUTBOX_SWEEP_INTERVAL="120",
    )
    web = Web(artifacts, env).start()
    worker = Worker(artifacts, env, "--concurrency", "1")
    yield {"web": web, "worker": worker, "broker": redis.url(1)}
    worker.stop()
    web.stop()
    redis.kill()


def backlog() -> list[str]:
    now = timezone.now()
    addresses = [f"backlog{n}@example.com" for n in range(BACKLOG)]
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            to=address,
            subject="Backlog",
            body_text=f"message {n}",
            kind="notification",
            idempotency_key=f"backlog-{n}",
            next_attempt_at=now - timedelta(seconds=1),
        )
        for n, address in enumerate(addresses)
    )
    return addresses


def test_a_verification_goes_out_while_a_backlog_is_being_swept(
    service, mailbox: Mailbox
):
    addresses = backlog()
    service["worker"].start()
    with Connection(service["broker"]) as broker:
        sweep_outbox.apply_async(queue=QUEUE, connection=broker)
    mailbox.wait_for(20, timeout=60)  # the sweep is under way

    response = service["web"].submit(
        requests.Session(),
        "/accounts/signup/",
        {"email": "newcomer@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND
    mailbox.wait_for(to="newcomer@example.com", timeout=60)

    arrived = [message.to[0] for message in mailbox.received]
    position = arrived.index("newcomer@example.com")
    assert position < BACKLOG, "the verification waited for the whole sweep"
    # The sweep went on in slices, behind the verification, to the last row.
    mailbox.wait_for(BACKLOG + 1, timeout=120)
    wait_until(
        lambda: not OutgoingEmail.objects.exclude(status="sent").exists(),
        30,
        "every outbox row sent",
    )
    counts = Counter(message.to[0] for message in mailbox.received)
    assert counts == Counter([*addresses, "newcomer@example.com"])
