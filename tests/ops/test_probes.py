"""/healthz and /readyz, against the run's own PostgreSQL and Redis, and
against addresses where nothing (or something silent) listens."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from http import HTTPStatus

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from mail.models import OutgoingEmail
from ops import probes
from tests.support.factories import OutgoingEmailFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_clients():
    probes.redis_client.cache_clear()
    yield
    probes.redis_client.cache_clear()


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}/0"


def test_healthz_answers_without_touching_anything(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


def test_ready_when_every_dependency_answers():
    response = Client().get("/readyz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "outbox": "ok", "redis": "ok", "broker": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_an_email_waiting_too_long_makes_the_service_unready(settings):
    settings.READYZ_MAX_OUTBOX_AGE = 60
    OutgoingEmailFactory.create(created_at=timezone.now() - timedelta(minutes=5))

    response = Client().get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["outbox"].startswith("failed: the oldest of 1 unsent emails")
    assert "READYZ_MAX_OUTBOX_AGE is 60 s" in checks["outbox"]


def test_sent_mail_of_any_age_is_no_backlog(settings):
    settings.READYZ_MAX_OUTBOX_AGE = 60
    OutgoingEmailFactory.create(
        created_at=timezone.now() - timedelta(days=5),
        status=OutgoingEmail.Status.SENT,
    )

    assert Client().get("/readyz").status_code == HTTPStatus.OK


def test_an_unreachable_redis_is_named(settings):
    settings.REDIS_URL = closed_port()

    response = Client().get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["redis"].startswith("failed: ConnectionError")
    assert response.json()["checks"]["database"] == "ok"


def test_an_unreachable_broker_is_named(settings):
    settings.CELERY_BROKER_URL = closed_port()

    response = Client().get("/readyz")

    assert response.json()["checks"]["broker"].startswith("failed: ConnectionError")


def test_a_redis_that_never_answers_is_a_timeout_and_the_probe_still_answers(
    settings,
):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    settings.REDIS_URL = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    try:
        response = Client().get("/readyz")
    finally:
        listener.close()

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    redis_check = response.json()["checks"]["redis"]
    assert redis_check == "timeout" or redis_check.startswith("failed: TimeoutError")


def test_a_database_that_hangs_is_a_timeout_and_the_probe_still_answers():
    """The outbox's table locked by another session: the probe's query
    waits, and the probe answers anyway. Released after 20 s, so a probe
    without its limits would answer only then."""
    locker = psycopg.connect(**connection.get_connection_params())
    locker.execute(
        f"LOCK TABLE {OutgoingEmail._meta.db_table} IN ACCESS EXCLUSIVE MODE"
    )
    release = threading.Timer(20, locker.rollback)
    release.start()
    try:
        started = time.monotonic()
        response = Client().get("/readyz")
        took = time.monotonic() - started
    finally:
        release.cancel()
        locker.rollback()
        locker.close()

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["database"] in (
        "timeout",
        "failed: OperationalError",  # PostgreSQL's statement timeout
    )
    assert took < probes.READYZ_TIMEOUT + 1


def test_a_password_in_the_broker_url_never_shows(settings):
    settings.CELERY_BROKER_URL = closed_port().replace("//", "//:hunter2@")

    response = Client().get("/readyz")

    assert "hunter2" not in response.content.decode()
