"""A rate-limit lock left by a process killed while holding it holds the
account's logins back for a moment, never refuses them (users/rate_limit_lock.py)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.core.internal import ratelimit
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.support.factories import PASSWORD

pytestmark = pytest.mark.django_db


class LockKeys:
    """Records every rate-limit lock a request takes."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._add = cache.add

    def add(self, key, *args, **kwargs):
        if key.endswith(":lock"):
            self.keys.append(key)
        return self._add(key, *args, **kwargs)


def test_a_login_after_a_holder_died_inside_the_lock_goes_ahead(user, monkeypatch):
    # Which locks a login takes, from a login of another browser.
    recorder = LockKeys()
    monkeypatch.setattr(cache, "add", recorder.add)
    Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    monkeypatch.undo()
    assert recorder.keys
    # A worker killed while holding each of them: the locks stay behind.
    for key in recorder.keys:
        cache.delete(key)
        assert cache.add(key, value=True, timeout=ratelimit.CACHE_LOCK_TIMEOUT)

    response = Client().post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FOUND
