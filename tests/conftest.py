"""Fixtures: real PostgreSQL (pytest-django), Redis, SMTP server and Celery
worker, each the run's own (tests/support/services.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache
from django.test import Client

from tests.support import sign_in_providers
from tests.support.factories import PASSWORD, UserFactory, give_totp
from tests.support.processes import Worker, service_env
from tests.support.smtp import Mailbox
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
E2E = Path(__file__).resolve().parent / "e2e"


# Fixtures that start a process of the service's beside the test.
PROCESS_FIXTURES = {"worker", "session_worker"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/, and every test that needs the Celery
    worker, is marked e2e: `-m "not e2e"` runs what stays in this process."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if E2E in item.path.parents or fixtures & PROCESS_FIXTURES:
            item.add_marker(pytest.mark.e2e)


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
    return UserFactory.create()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def staff_client(db) -> Client:
    """Signed in as a superuser who has a second factor, as the admin requires."""
    boss = User.objects.create_superuser("boss@example.com", PASSWORD)
    give_totp(boss)
    client = Client()
    client.force_login(boss)
    return client


@pytest.fixture
def providers(settings, monkeypatch) -> sign_in_providers.FakeProviders:
    """Kakao, Naver, Google and an OpenID Connect provider configured as an
    operator configures them, their servers answered by local fakes
    (tests/support/sign_in_providers.py), reset for the test."""
    fake = sign_in_providers.running()
    settings.SOCIALACCOUNT_PROVIDERS = sign_in_providers.configure(monkeypatch, fake)
    return fake


@pytest.fixture
def trusted(db) -> Callable[..., None]:
    """Mark providers trusted for email, as staff do in the admin."""
    return sign_in_providers.trust
