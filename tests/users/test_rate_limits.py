"""allauth's rate limits, counted in one step in Redis (users/rate_limits.py):
the same answers as allauth's own counting, without its lock."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import redis
from allauth.core import ratelimit
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.support.factories import PASSWORD
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db

WRONG = "nope-Nope-1"
TOO_MANY = b"Too many failed login attempts"


def sign_in(password: str, email: str) -> tuple[int, bytes]:
    response = Client().post(
        reverse("account_login"), {"login": email, "password": password}
    )
    return response.status_code, response.content


def test_a_login_takes_no_lock_and_keeps_its_hits_in_redis(user, monkeypatch):
    added: list[str] = []
    add = cache.add

    def recording_add(key, *args, **kwargs):
        added.append(key)
        return add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", recording_add)

    status, _ = sign_in(PASSWORD, user.email)

    assert status == HTTPStatus.FOUND
    assert not [key for key in added if key.endswith(":lock")]
    store = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    windows = list(store.scan_iter("*allauth:rl:*:hits"))
    assert windows

    assert {store.type(key) for key in windows} == {b"zset"}


def test_a_login_counts_its_limits_in_three_round_trips(user):
    store = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    sign_in(PASSWORD, user.email)  # Redis has the script from now on
    store.config_resetstat()

    status, _ = sign_in(PASSWORD, user.email)

    assert status == HTTPStatus.FOUND
    calls = {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in store.info("commandstats").items()
    }
    # "login" (one limit), then "login_failed" (two), then its two given
    # back in one pipeline.
    assert calls["evalsha"] == 2
    assert calls["zrem"] == 2
    assert "get" not in calls  # no list of hits read from the cache


def test_successful_logins_give_back_their_hit_and_failures_still_lock(user):
    for _ in range(4):
        assert TOO_MANY not in sign_in(WRONG, user.email)[1]
    for _ in range(3):  # not counted against the five failures allowed
        assert sign_in(PASSWORD, user.email)[0] == HTTPStatus.FOUND

    fifth = sign_in(WRONG, user.email)
    sixth = sign_in(WRONG, user.email)
    right_password_now = sign_in(PASSWORD, user.email)

    assert TOO_MANY not in fifth[1]
    assert TOO_MANY in sixth[1]
    assert TOO_MANY in right_password_now[1]


def test_a_dry_run_asks_without_counting():
    request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.7")

    for _ in range(10):
        assert ratelimit.consume(
            request, action="reset_password", key="k@example.com", dry_run=True
        )

    counted = [
        ratelimit.consume(request, action="reset_password", key="k@example.com")
        for _ in range(6)
    ]
    assert counted == [True] * 5 + [False]  # "5/m/key"


def test_clearing_a_limit_forgets_its_hits():
    request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.6")
    for _ in range(5):
        assert ratelimit.consume(request, action="reset_password", key="c@example.com")
    assert not ratelimit.consume(request, action="reset_password", key="c@example.com")

    ratelimit.clear(request, action="reset_password", key="c@example.com")

    assert ratelimit.consume(request, action="reset_password", key="c@example.com")


def test_while_redis_is_down_the_limits_count_in_memory(user, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "project.cache.FailoverRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    assert caches["default"].__class__.__name__ == "FailoverRedisCache"

    answers = [sign_in(WRONG, user.email)[1] for _ in range(6)]

    assert [TOO_MANY in answer for answer in answers] == [False] * 5 + [True]
    assert TOO_MANY in sign_in(PASSWORD, user.email)[1]
    assert "Redis cache unreachable" in caplog.text
