"""Signed-in devices: each login is a session a person can see and end, and
ending one ends the tokens issued to it at once."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from mail.models import OutgoingEmail
from tests.support.api import APP, bearer, call, login, me, refresh, tokens_of

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"


def sessions(access: str) -> list[dict]:
    status, body = call(Client(), "get", f"{APP}/auth/sessions", **bearer(access))
    assert status == HTTPStatus.OK
    return body["data"]


def test_a_person_sees_each_signed_in_device_and_ends_another(user):
    laptop, _ = tokens_of(login(Client(), user.email, **{"User-Agent": LAPTOP})[1])
    phone, phone_refresh = tokens_of(
        login(Client(), user.email, **{"User-Agent": PHONE})[1]
    )

    listed = sessions(laptop)
    assert len(listed) == 2
    (other,) = [s for s in listed if not s["is_current"]]
    assert other["user_agent"] == PHONE
    assert other["ip"] == "127.0.0.1"
    assert "last_seen_at" in other

    status, _ = call(
        Client(),
        "delete",
        f"{APP}/auth/sessions",
        {"sessions": [other["id"]]},
        **bearer(laptop),
    )

    assert status == HTTPStatus.OK
    assert me(Client(), **bearer(phone)) == HTTPStatus.UNAUTHORIZED
    assert refresh(Client(), phone_refresh)[0] == HTTPStatus.BAD_REQUEST
    assert me(Client(), **bearer(laptop)) == HTTPStatus.OK
    assert [s["user_agent"] for s in sessions(laptop)] == [LAPTOP]


def test_ending_a_session_tells_its_owner_which_device(user):
    laptop, _ = tokens_of(login(Client(), user.email, **{"User-Agent": LAPTOP})[1])
    login(Client(), user.email, **{"User-Agent": PHONE})
    (other,) = [s for s in sessions(laptop) if not s["is_current"]]

    call(
        Client(),
        "delete",
        f"{APP}/auth/sessions",
        {"sessions": [other["id"]]},
        **bearer(laptop),
    )

    (notice,) = OutgoingEmail.objects.filter(
        to=user.email, subject__endswith="A device was signed out of your account"
    )
    assert "iPhone" in notice.body_text


def test_the_session_page_lists_devices_in_the_browser(client, user):
    client.post(
        "/accounts/login/",
        {"login": user.email, "password": "tidal-Forest-lantern-42"},
        headers={"User-Agent": LAPTOP},
    )

    page = client.get("/accounts/sessions/")

    assert page.status_code == HTTPStatus.OK
    assert UserSession.objects.filter(user=user).count() == 1
