"""An account's life, end to end over HTTP against gunicorn with the real
worker and SMTP server, for a Korean reader: changing the address, the
activity log, new sign-in alerts, export, deletion, breached passwords."""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from django.contrib.sessions.backends.db import SessionStore

from activity.models import Event
from mail.models import OutgoingEmail
from tests.support.factories import PASSWORD, UserFactory
from tests.support.flows import NEW_PASSWORD, code_in, link_in
from tests.support.processes import Web, service_env
from tests.support.pwned import BREACHED
from users.models import User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]

HANGUL = re.compile(r"[\uac00-\ud7a3]")
KOREAN = {"Accept-Language": "ko"}
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1"
)
APP = "/_allauth/app/v1"


def browser(user_agent: str = LAPTOP) -> requests.Session:
    session = requests.Session()
    session.headers.update({**KOREAN, "User-Agent": user_agent})
    return session


def sign_in(web: Web, session: requests.Session, email: str, password: str = PASSWORD):
    return web.submit(
        session, "/accounts/login/", {"login": email, "password": password}
    )


def signed_in(response: requests.Response) -> bool:
    return (
        response.status_code == HTTPStatus.FOUND and response.headers["Location"] == "/"
    )


def reauthenticate(web: Web, session: requests.Session) -> None:
    answer = web.submit(session, "/accounts/reauthenticate/", {"password": PASSWORD})
    assert answer.status_code == HTTPStatus.FOUND, answer.text[:2000]


def korean_user(email: str) -> User:
    return UserFactory.create(email=email, language="ko")


# --- Change of address -----------------------------------------------------------


def test_a_new_address_replaces_the_old_one_only_once_verified(web, mailbox):
    korean_user("old@example.com")
    session = browser()
    assert signed_in(sign_in(web, session, "old@example.com"))
    reauthenticate(web, session)

    web.submit(
        session, "/accounts/email/", {"email": "new@example.com", "action_add": ""}
    )

    (verification,) = mailbox.wait_for(to="new@example.com")
    assert HANGUL.search(verification.text)
    # Until the new address is verified, the old one still signs in.
    assert signed_in(sign_in(web, browser(), "old@example.com"))
    assert not signed_in(sign_in(web, browser(), "new@example.com"))

    link = link_in(verification.text, "/accounts/confirm-email/")
    web.submit(session, urlsplit(link).path, {})

    assert list(EmailAddress.objects.values_list("email", flat=True)) == [
        "new@example.com"
    ]
    assert User.objects.get().email == "new@example.com"
    (notice,) = mailbox.wait_for(to="old@example.com")
    assert "new@example.com" in notice.text
    assert HANGUL.search(notice.subject)
    assert signed_in(sign_in(web, browser(), "new@example.com"))
    assert not signed_in(sign_in(web, browser(), "old@example.com"))
    assert (
        list(Event.objects.values_list("type", flat=True).order_by("at")).count(
            "email_changed"
        )
        == 1
    )


def test_an_address_of_another_account_answers_like_a_free_one(web, mailbox):
    korean_user("taken@example.com")
    korean_user("me@example.com")
    session = browser()
    sign_in(web, session, "me@example.com")
    reauthenticate(web, session)

    taken = web.submit(
        session, "/accounts/email/", {"email": "taken@example.com", "action_add": ""}
    )
    free = web.submit(
        session, "/accounts/email/", {"email": "free@example.com", "action_add": ""}
    )

    assert taken.status_code == free.status_code == HTTPStatus.FOUND
    assert taken.headers["Location"] == free.headers["Location"]
    (told,) = mailbox.wait_for(to="taken@example.com")
    assert "/confirm-email/" not in told.text  # the owner is told; no link
    assert HANGUL.search(told.subject)
    assert "/confirm-email/" in mailbox.wait_for(to="free@example.com")[0].text


# --- Activity and new sign-in alerts -----------------------------------------------


def test_a_failed_then_a_successful_login_appear_newest_first(web, mailbox):
    korean_user("watched@example.com")
    sign_in(web, browser(), "watched@example.com", "wrong-Password-9")
    login = requests.post(
        f"{web.url}{APP}/auth/login",
        json={"email": "watched@example.com", "password": PASSWORD},
        timeout=30,
    ).json()

    activity = requests.get(
        f"{web.url}/api/me/activity",
        headers={"Authorization": f"Bearer {login['meta']['access_token']}"},
        timeout=30,
    ).json()

    assert activity["status"] == HTTPStatus.OK
    assert [e["type"] for e in activity["data"]][:2] == ["login", "login_failed"]
    assert activity["data"][0]["ip"] == "127.0.0.1"
    page = browser()
    sign_in(web, page, "watched@example.com")
    assert "로그인 실패" in page.get(f"{web.url}/profile/activity/", timeout=30).text


def test_a_sign_in_from_a_new_device_is_mailed_once(web, mailbox):
    korean_user("traveller@example.com")
    sign_in(web, browser(LAPTOP), "traveller@example.com")  # the first device
    sign_in(web, browser(PHONE), "traveller@example.com")  # a new one
    sign_in(web, browser(PHONE), "traveller@example.com")  # the same again

    (alert,) = mailbox.wait_for(to="traveller@example.com")
    assert "Safari on iOS" in alert.text
    assert "127.0.0.1" in alert.text
    assert "/accounts/sessions/" in alert.text
    assert HANGUL.search(alert.subject)
    # Every row is written in the requests: no second alert is coming.
    assert OutgoingEmail.objects.filter(to="traveller@example.com").count() == 1


# --- Export and deletion --------------------------------------------------------


def test_the_export_holds_this_account_and_no_other(web, mailbox):
    korean_user("exported@example.com")
    korean_user("other@example.com")
    sign_in(web, browser(), "other@example.com")
    session = browser()
    sign_in(web, session, "exported@example.com")

    export = session.get(f"{web.url}/profile/export/", timeout=30)

    assert export.headers["Content-Disposition"].startswith("attachment")
    data = export.json()
    assert data["profile"]["email"] == "exported@example.com"
    assert [a["email"] for a in data["email_addresses"]] == ["exported@example.com"]
    assert {e["type"] for e in data["activity"]} == {"login"}
    assert "other@example.com" not in export.text
    assert User.objects.get(email="exported@example.com").password not in export.text


def test_deleting_on_the_page_needs_a_fresh_sign_in_and_removes_everything(
    web, mailbox
):
    korean_user("leaving@example.com")
    session = browser()
    sign_in(web, session, "leaving@example.com")

    asked = session.get(f"{web.url}/profile/delete/", allow_redirects=False, timeout=30)
    assert "/accounts/reauthenticate/" in asked.headers["Location"]
    reauthenticate(web, session)
    gone = web.submit(session, "/profile/delete/", {"confirm": "on"})

    assert gone.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(email="leaving@example.com").exists()
    assert not EmailAddress.objects.filter(email="leaving@example.com").exists()
    (farewell,) = mailbox.wait_for(to="leaving@example.com")
    assert HANGUL.search(farewell.subject)
    # The log keeps the events, under a pseudonym.
    assert Event.objects.filter(type="account_deleted", user=None).exists()
    assert not Event.objects.filter(email="leaving@example.com").exists()
    # A login afterwards gets the usual error; the address signs up afresh.
    assert sign_in(web, browser(), "leaving@example.com").status_code == HTTPStatus.OK
    again = web.submit(
        browser(),
        "/accounts/signup/",
        {
            "email": "leaving@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert again.headers["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email="leaving@example.com").count() == 1


def test_deleting_over_the_api_needs_a_reauthentication_not_just_a_token(web, mailbox):
    korean_user("apileaver@example.com")
    login = requests.post(
        f"{web.url}{APP}/auth/login",
        json={"email": "apileaver@example.com", "password": PASSWORD},
        timeout=30,
    ).json()
    bearer = {"Authorization": f"Bearer {login['meta']['access_token']}"}

    refused = requests.delete(f"{web.url}/api/me", headers=bearer, timeout=30)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["errors"][0]["code"] == "reauthentication_required"
    assert refused.json()["data"]["flows"] == [{"id": "reauthenticate"}]
    requests.post(
        f"{web.url}{APP}/auth/reauthenticate",
        json={"password": PASSWORD},
        headers=bearer,
        timeout=30,
    )
    deleted = requests.delete(f"{web.url}/api/me", headers=bearer, timeout=30)

    assert deleted.status_code == HTTPStatus.OK
    assert requests.get(
        f"{web.url}/api/me", headers=bearer, timeout=30
    ).status_code == (HTTPStatus.UNAUTHORIZED)
    assert not User.objects.filter(email="apileaver@example.com").exists()
    mailbox.wait_for(to="apileaver@example.com")


def test_a_stolen_cookie_whose_reauthentication_expired_cannot_delete(web, mailbox):
    korean_user("stolen@example.com")
    session = browser()
    sign_in(web, session, "stolen@example.com")
    reauthenticate(web, session)
    # The thief holds the cookie long after the owner's last reauthentication.
    store = SessionStore(session.cookies["sessionid"])
    records = store["account_authentication_methods"]
    for record in records:
        record["at"] -= 3600
    store["account_authentication_methods"] = records
    store.save()

    answer = web.submit(session, "/profile/delete/", {"confirm": "on"})

    assert "/accounts/reauthenticate/" in answer.headers["Location"]
    assert User.objects.filter(email="stolen@example.com").exists()


def test_an_account_without_a_password_is_deleted_only_after_a_mailed_code(
    web, mailbox
):
    """A login by code left the account with no password and no factor: the
    session alone deletes nothing; a code from the mailbox does."""
    UserFactory.create(email="codeonly@example.com", language="ko", password=None)
    session = browser()
    web.submit(session, "/accounts/login/code/", {"email": "codeonly@example.com"})
    (login_code,) = mailbox.wait_for(to="codeonly@example.com")
    web.submit(
        session, "/accounts/login/code/confirm/", {"code": code_in(login_code.text)}
    )

    asked = session.get(f"{web.url}/profile/delete/", allow_redirects=False, timeout=30)
    code_page = asked.headers["Location"]
    assert code_page.startswith("/accounts/reauthenticate/code/")
    refused = web.submit(session, "/profile/delete/", {"confirm": "on"})
    assert refused.headers["Location"] == code_page
    assert User.objects.filter(email="codeonly@example.com").exists()

    web.submit(session, code_page, {"send": "1"})
    _, reauthentication = mailbox.wait_for(2, to="codeonly@example.com")
    assert HANGUL.search(reauthentication.subject)
    wrong = web.submit(session, code_page, {"code": "AAAA-AAAA"})
    assert wrong.status_code == HTTPStatus.OK
    assert User.objects.filter(email="codeonly@example.com").exists()
    # The right code: the deletion that waited for it (allauth keeps the
    # refused POST) goes ahead.
    confirmed = web.submit(session, code_page, {"code": code_in(reauthentication.text)})

    assert confirmed.headers["Location"] == "/"
    assert not User.objects.filter(email="codeonly@example.com").exists()
    mailbox.wait_for(3, to="codeonly@example.com")  # the last email


# --- Breached passwords ---------------------------------------------------------


def test_a_breached_password_is_refused_with_a_clear_message(web):
    (breached,) = BREACHED
    answer = web.submit(
        browser(),
        "/accounts/signup/",
        {"email": "careless@example.com", "password1": breached, "password2": breached},
    )

    assert answer.status_code == HTTPStatus.OK
    assert "유출" in answer.text  # "appeared in a data breach"
    assert not User.objects.exists()


def test_with_the_breach_api_down_the_password_is_accepted_and_a_warning_logged(
    artifacts, mailbox
):
    down = Web(artifacts, service_env(PWNED_PASSWORDS_URL="http://127.0.0.1:9"))
    down.start()
    try:
        (breached,) = BREACHED
        answer = down.submit(
            browser(),
            "/accounts/signup/",
            {
                "email": "lucky@example.com",
                "password1": breached,
                "password2": breached,
            },
        )
        deadline = time.monotonic() + 10
        while "Breached-password check unavailable" not in down.log():
            assert time.monotonic() < deadline, down.log()[-2000:]
            time.sleep(0.05)
    finally:
        down.stop()

    assert answer.headers["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email="lucky@example.com").exists()


def test_deleting_over_the_api_with_the_session_cookie_needs_the_csrf_token(web):
    korean_user("forged@example.com")
    session = browser()
    sign_in(web, session, "forged@example.com")
    reauthenticate(web, session)

    # What a page on another site could make the browser send: the cookie
    # rides along, the CSRF token does not.
    forged = session.delete(f"{web.url}/api/me", timeout=30)

    assert forged.status_code == HTTPStatus.FORBIDDEN
    assert forged.json()["errors"][0]["code"] == "csrf_failed"
    assert User.objects.filter(email="forged@example.com").exists()
