"""/healthz answers for the process alone: PostgreSQL stopped, it still says ok."""

from __future__ import annotations

import subprocess
import sys
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
import requests

from tests.support.processes import ROOT, PostgresCluster, Web, service_env

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.remove()


def test_healthz_answers_while_the_database_is_down(cluster, artifacts):
    env = service_env(DATABASE_URL=cluster.create_database("accounts"))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    web = Web(artifacts, env).start()
    try:
        assert requests.get(f"{web.url}/healthz", timeout=10).json() == {"status": "ok"}
        cluster.stop()
        down = requests.get(f"{web.url}/healthz", timeout=10)
        page = requests.get(f"{web.url}/accounts/login/", timeout=10)
    finally:
        web.stop()

    assert down.status_code == HTTPStatus.OK
    assert down.json() == {"status": "ok"}
    assert page.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR  # it did need it
