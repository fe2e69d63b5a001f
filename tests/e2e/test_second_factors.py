"""Second factors and login by code over HTTP, against gunicorn with the real
worker and SMTP server, for a Korean reader: the app client signs in with a
mailed code, and removing a factor or renewing recovery codes is mailed in
the owner's language."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING

import pyotp
import pytest
import requests

from tests.support.factories import PASSWORD, UserFactory, give_totp
from tests.support.flows import code_in

if TYPE_CHECKING:
    from tests.support.processes import Web

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]

HANGUL = re.compile(r"[\uac00-\ud7a3]")
APP = "/_allauth/app/v1"


def post(web: Web, path: str, body: dict, **headers: str) -> requests.Response:
    return requests.post(
        f"{web.url}{path}",
        json=body,
        headers={"Accept-Language": "ko", **headers},
        timeout=30,
    )


def test_the_app_client_signs_in_with_a_mailed_code(web, mailbox):
    UserFactory.create(email="coder@example.com", language="ko")

    asked = post(web, f"{APP}/auth/code/request", {"email": "coder@example.com"})
    assert asked.status_code == HTTPStatus.UNAUTHORIZED
    (pending,) = [f for f in asked.json()["data"]["flows"] if f.get("is_pending")]
    assert pending["id"] == "login_by_code"
    token = {"X-Session-Token": asked.json()["meta"]["session_token"]}
    (mail,) = mailbox.wait_for(to="coder@example.com")
    assert HANGUL.search(mail.subject)
    code = code_in(mail.text)

    wrong = post(web, f"{APP}/auth/code/confirm", {"code": "AAAA-AAAA"}, **token)
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    signed_in = post(web, f"{APP}/auth/code/confirm", {"code": code}, **token)

    assert signed_in.status_code == HTTPStatus.OK
    access = signed_in.json()["meta"]["access_token"]
    me = requests.get(
        f"{web.url}/api/me", headers={"Authorization": f"Bearer {access}"}, timeout=30
    )
    assert me.json()["data"]["email"] == "coder@example.com"
    # The code is spent: a second client cannot use it.
    again = post(web, f"{APP}/auth/code/request", {"email": "coder@example.com"})
    replay = post(
        web,
        f"{APP}/auth/code/confirm",
        {"code": code},
        **{"X-Session-Token": again.json()["meta"]["session_token"]},
    )
    assert replay.status_code == HTTPStatus.BAD_REQUEST


def test_removing_a_factor_and_new_recovery_codes_are_mailed_in_korean(web, mailbox):
    user = UserFactory.create(email="careful@example.com", language="ko")
    secret = give_totp(user)
    totp = pyotp.TOTP(secret)
    login = post(web, f"{APP}/auth/login", {"email": user.email, "password": PASSWORD})
    token = {"X-Session-Token": login.json()["meta"]["session_token"]}
    done = post(web, f"{APP}/auth/2fa/authenticate", {"code": totp.now()}, **token)
    bearer = {"Authorization": f"Bearer {done.json()['meta']['access_token']}"}
    assert post(web, f"{APP}/auth/reauthenticate", {"password": PASSWORD}, **bearer).ok

    renewed = post(web, f"{APP}/account/authenticators/recovery-codes", {}, **bearer)
    assert renewed.status_code == HTTPStatus.OK
    (codes_mail,) = mailbox.wait_for(to=user.email)
    removed = requests.delete(
        f"{web.url}{APP}/account/authenticators/totp", headers=bearer, timeout=30
    )
    assert removed.status_code == HTTPStatus.OK
    _, removal_mail = mailbox.wait_for(2, to=user.email)

    for mail in (codes_mail, removal_mail):
        assert HANGUL.search(mail.subject), mail.subject
        assert HANGUL.search(mail.text)
    assert "복구 코드" in codes_mail.subject
    # Neither carries a secret: the codes and the app's seed stay on the page.
    for code in renewed.json()["data"]["unused_codes"]:
        assert code not in codes_mail.raw
    assert secret not in removal_mail.raw
