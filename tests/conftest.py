"""Fixtures: real PostgreSQL (pytest-django), Redis, SMTP server and Celery worker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from tests.factories import PASSWORD, UserFactory
from tests.processes import Worker, service_env
from tests.smtp import Mailbox

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """allauth's rate limits live in the Redis cache; each test starts clean."""
    cache.clear()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    mailbox.start()
    yield mailbox
    mailbox.stop()


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Iterator[Mailbox]:
    """The SMTP server, emptied and answering normally."""
    smtp_server.reset()
    smtp_server.ensure_running()
    yield smtp_server
    smtp_server.reset()


@pytest.fixture(scope="session")
def worker_env(django_db_setup, django_db_blocker, smtp_server: Mailbox) -> dict:
    return service_env(
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}", EMAIL_TIMEOUT="5"
    )


@pytest.fixture(scope="session")
def session_worker(worker_env: dict, artifacts: Path) -> Iterator[Worker]:
    """One Celery worker, with beat inside it, shared by the session's tests."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    schedule = artifacts / "celerybeat-schedule"
    process = Worker(
        artifacts,
        worker_env,
        "--concurrency",
        "1",
        "--beat",
        "--schedule",
        str(schedule),
    )
    yield process
    process.stop()


@pytest.fixture
def worker(session_worker: Worker) -> Worker:
    """The warm session worker, started if it is not running."""
    if session_worker.process is None:
        session_worker.start()
    return session_worker


@pytest.fixture
def no_session_worker(session_worker: Worker) -> None:
    """Stop the session worker: its sweeper would send this test's rows."""
    session_worker.stop()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def password() -> str:
    return PASSWORD


def link_in(text: str, path_fragment: str) -> str:
    """The first absolute link in a message whose path contains `path_fragment`."""
    for url in re.findall(r"https?://[^\s\"'<>]+", text):
        if path_fragment in url:
            return url
    raise AssertionError(f"no link containing {path_fragment!r} in:\n{text}")
