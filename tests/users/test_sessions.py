"""Signed-in devices: each login is a session a person can see and end, and
ending one ends the tokens issued to it at once."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mail.models import OutgoingEmail
from tests.support.api import APP, bearer, call, login, me, refresh, tokens_of
from tests.support.factories import PASSWORD, UserFactory
from users.session_store import SessionStore

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


# --- The signed-in devices page ------------------------------------------------------


def signed_in_on_the_page(user, user_agent: str = LAPTOP) -> Client:
    client = Client(headers={"User-Agent": user_agent})
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    return client


def test_the_page_lists_each_signed_in_device(user):
    page = signed_in_on_the_page(user)
    login(Client(), user.email, **{"User-Agent": PHONE})

    html = page.get("/accounts/sessions/").content.decode()

    assert LAPTOP in html
    assert PHONE in html
    assert html.count("127.0.0.1") == 2
    # Every device but this one has a button of its own.
    assert html.count("/end/") == 1


def test_ending_one_device_on_the_page_ends_its_tokens_at_once(user):
    page = signed_in_on_the_page(user)
    phone, phone_refresh = tokens_of(
        login(Client(), user.email, **{"User-Agent": PHONE})[1]
    )
    laptop, _ = tokens_of(login(Client(), user.email, **{"User-Agent": LAPTOP})[1])
    target = UserSession.objects.get(user=user, user_agent=PHONE)

    response = page.post(f"/accounts/sessions/{target.pk}/end/")

    assert response["Location"] == "/accounts/sessions/"
    assert me(Client(), **bearer(phone)) == HTTPStatus.UNAUTHORIZED
    assert refresh(Client(), phone_refresh)[0] == HTTPStatus.BAD_REQUEST
    assert me(Client(), **bearer(laptop)) == HTTPStatus.OK
    assert page.get("/profile/").status_code == HTTPStatus.OK  # still signed in
    assert UserSession.objects.filter(user=user).count() == 2
    assert OutgoingEmail.objects.filter(
        to=user.email, subject__endswith="A device was signed out of your account"
    ).exists()


def test_ending_all_other_devices_on_the_page_ends_their_tokens(user):
    page = signed_in_on_the_page(user)
    phone, _ = tokens_of(login(Client(), user.email, **{"User-Agent": PHONE})[1])
    laptop, laptop_refresh = tokens_of(
        login(Client(), user.email, **{"User-Agent": LAPTOP})[1]
    )

    response = page.post("/accounts/sessions/")

    assert response["Location"] == "/accounts/sessions/"
    assert me(Client(), **bearer(phone)) == HTTPStatus.UNAUTHORIZED
    assert me(Client(), **bearer(laptop)) == HTTPStatus.UNAUTHORIZED
    assert refresh(Client(), laptop_refresh)[0] == HTTPStatus.BAD_REQUEST
    assert page.get("/profile/").status_code == HTTPStatus.OK
    assert UserSession.objects.filter(user=user).count() == 1


def test_ending_this_devices_own_session_signs_this_browser_out(user):
    page = signed_in_on_the_page(user)
    (own,) = UserSession.objects.filter(user=user)

    response = page.post(f"/accounts/sessions/{own.pk}/end/")

    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in page.session
    assert not UserSession.objects.filter(user=user).exists()


def test_a_device_of_another_account_cannot_be_ended(user):
    stranger = UserFactory.create()
    login(Client(), stranger.email)
    (theirs,) = UserSession.objects.filter(user=stranger)
    page = signed_in_on_the_page(user)

    response = page.post(f"/accounts/sessions/{theirs.pk}/end/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert UserSession.objects.filter(pk=theirs.pk).exists()
    assert page.get(f"/accounts/sessions/{theirs.pk}/end/").status_code == (
        HTTPStatus.METHOD_NOT_ALLOWED
    )


def test_a_sign_in_records_its_time_as_the_last_login_with_its_device(user):
    assert user.last_login is None
    before = timezone.now()

    with CaptureQueriesContext(connection) as queries:
        Client().post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        )
    # Read now: the next request empties the log.
    updates = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]]
    user.refresh_from_db()
    on_the_page = user.last_login
    login(Client(), user.email)  # over the API too
    user.refresh_from_db()

    assert on_the_page is not None
    assert before < on_the_page < user.last_login <= timezone.now()
    (write,) = updates
    assert write.startswith('WITH last_login AS (UPDATE "users_user"')
    assert 'INSERT INTO "usersessions_usersession"' in write


def test_a_sign_ins_session_row_is_written_and_a_taken_key_is_drawn_again(
    user, monkeypatch
):
    taken = UserFactory.create()
    browser = Client()
    browser.force_login(taken)
    taken_key = browser.session.session_key
    keys = iter([taken_key, "k" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))

    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert client.cookies["sessionid"].value == "k" * 32
    assert Session.objects.get(session_key="k" * 32).get_decoded()[
        "_auth_user_id"
    ] == str(user.pk)
    assert Session.objects.get(session_key=taken_key).get_decoded()[
        "_auth_user_id"
    ] == str(taken.pk)
