"""A pytest plugin: each test run gets a Redis server, a database name and a
Celery queue of its own, and leaves nothing behind.

Loaded with `-p tests.support.services` (pyproject.toml), it runs before
pytest-django reads the settings: the Redis server starts on a free port and
its address goes into REDIS_URL and CELERY_BROKER_URL, and DATABASE_URL
names a database no other run uses (pytest-django creates `test_<name>` and
drops it at the end). Nothing shared on the machine (its Redis on 6379, its
databases) is read or written. The breached-password API is a local fake
(tests/support/pwned.py), so no test reaches the internet.

What the environment says is not trusted to be the run's own: the suite
empties its cache before every test (tests/conftest.py), so a REDIS_URL or
CELERY_BROKER_URL found there is ignored, always; a DATABASE_URL found there
chooses the PostgreSQL server, never the database name. Set
PWNED_PASSWORDS_URL to use another fake of the breached-password API.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.processes import RedisServer
from tests.support.pwned import FakeRangeAPI


class _Run:
    """What this run started, to remove at its end."""

    redis: RedisServer | None = None
    pwned: FakeRangeAPI | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    run = secrets.token_hex(4)
    _Run.redis = RedisServer(Path(tempfile.mkdtemp(prefix="accounts-test-")))
    _Run.redis.start()
    os.environ["REDIS_URL"] = _Run.redis.url(0)
    os.environ["CELERY_BROKER_URL"] = _Run.redis.url(1)
    os.environ["DATABASE_URL"] = database_of_its_own(
        os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/",
        f"accounts_{run}",
    )
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"accounts-test-{run}"
    if "PWNED_PASSWORDS_URL" not in os.environ:
        _Run.pwned = FakeRangeAPI()
        os.environ["PWNED_PASSWORDS_URL"] = _Run.pwned.url


def database_of_its_own(url: str, name: str) -> str:
    """`url`, naming database `name` on the same server."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def pytest_unconfigure(config) -> None:
    if _Run.pwned is not None:
        _Run.pwned.stop()
    if _Run.redis is not None:
        _Run.redis.kill()
        shutil.rmtree(_Run.redis.workdir, ignore_errors=True)
