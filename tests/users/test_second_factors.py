"""Second factors over the app client: an authenticator app (TOTP, its codes
computed with pyotp as a phone would), recovery codes, and the login limits
that keep six-digit codes from being guessed."""

from __future__ import annotations

from http import HTTPStatus

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from mail.models import OutgoingEmail
from tests.support.api import APP, bearer, call, login, me, reauthenticate, tokens_of
from tests.support.factories import (
    PASSWORD,
    UserFactory,
    fresh_code,
    give_recovery_codes,
    give_totp,
)

pytestmark = pytest.mark.django_db


def pending_flows(body: dict) -> list[str]:
    return [flow["id"] for flow in body["data"]["flows"] if flow.get("is_pending")]


def password_step(email: str) -> str:
    """Log in with the password; the session token of the pending 2FA step."""
    status, body = login(Client(), email)
    assert status == HTTPStatus.UNAUTHORIZED
    assert pending_flows(body) == ["mfa_authenticate"]
    assert "access_token" not in body["meta"]
    return body["meta"]["session_token"]


def second_step(session_token: str, code: str):
    return call(
        Client(),
        "post",
        f"{APP}/auth/2fa/authenticate",
        {"code": code},
        **{"X-Session-Token": session_token},
    )


# allauth mails its notice once the change has committed: real commits.
@pytest.mark.django_db(transaction=True)
def test_enrol_an_authenticator_app_then_log_in_with_password_and_code(user):
    access, _ = tokens_of(login(Client(), user.email)[1])
    status, body = call(
        Client(), "get", f"{APP}/account/authenticators/totp", **bearer(access)
    )
    assert status == HTTPStatus.NOT_FOUND  # not active yet: here is a secret
    secret = body["meta"]["secret"]
    assert body["meta"]["totp_url"].startswith("otpauth://totp/")
    # Adding a factor is a sensitive change: the password again first.
    status, body = call(
        Client(),
        "post",
        f"{APP}/account/authenticators/totp",
        {"code": pyotp.TOTP(secret).now()},
        **bearer(access),
    )
    assert status == HTTPStatus.UNAUTHORIZED
    assert [flow["id"] for flow in body["data"]["flows"]] == ["reauthenticate"]
    assert reauthenticate(Client(), **bearer(access)) == HTTPStatus.OK

    status, _ = call(
        Client(),
        "post",
        f"{APP}/account/authenticators/totp",
        {"code": pyotp.TOTP(secret).now()},
        **bearer(access),
    )
    assert status == HTTPStatus.OK
    status, body = call(
        Client(),
        "get",
        f"{APP}/account/authenticators/recovery-codes",
        **bearer(access),
    )
    assert status == HTTPStatus.OK
    assert len(body["data"]["unused_codes"]) == 10
    # The owner is told, by email, through the outbox.
    subjects = OutgoingEmail.objects.filter(to=user.email).values_list(
        "subject", flat=True
    )
    assert [s for s in subjects if "Authenticator App Activated" in s], subjects

    status, body = second_step(password_step(user.email), fresh_code(secret))
    assert status == HTTPStatus.OK
    new_access, _ = tokens_of(body)
    assert me(Client(), **bearer(new_access)) == HTTPStatus.OK


def test_a_totp_code_completes_one_login_only(user):
    secret = give_totp(user)
    code = fresh_code(secret)

    assert second_step(password_step(user.email), code)[0] == HTTPStatus.OK
    status, body = second_step(password_step(user.email), code)

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"][0]["code"] == "incorrect_code"


def test_a_wrong_code_is_refused_with_a_clear_error(user):
    give_totp(user)

    status, body = second_step(password_step(user.email), "000000")

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"][0]["param"] == "code"


def test_a_recovery_code_logs_in_once(user):
    give_totp(user)
    first, second = give_recovery_codes(user)[:2]

    assert second_step(password_step(user.email), first)[0] == HTTPStatus.OK
    assert second_step(password_step(user.email), first)[0] == (HTTPStatus.BAD_REQUEST)
    assert second_step(password_step(user.email), second)[0] == HTTPStatus.OK


def test_codes_cannot_be_guessed_past_the_login_limit(user):
    secret = give_totp(user)
    token = password_step(user.email)
    for guess in range(5):
        assert second_step(token, f"{guess:06d}")[0] == HTTPStatus.BAD_REQUEST

    status, body = second_step(token, fresh_code(secret))

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"][0]["code"] == "too_many_login_attempts"


def test_the_secret_never_leaves_once_the_app_is_enrolled(user):
    secret = give_totp(user)
    status, body = second_step(password_step(user.email), fresh_code(secret))
    access, _ = tokens_of(body)

    status, body = call(
        Client(), "get", f"{APP}/account/authenticators", **bearer(access)
    )

    assert status == HTTPStatus.OK
    assert secret not in str(body)
    assert [a["type"] for a in body["data"]] == ["totp"]


# --- Staff and the admin --------------------------------------------------------


def test_staff_with_a_factor_reach_the_admin_after_password_and_code(client):
    boss = UserFactory.create(
        email="chief@example.com", is_staff=True, is_superuser=True
    )
    secret = give_totp(boss)

    step = client.post("/accounts/login/", {"login": boss.email, "password": PASSWORD})
    assert step["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == HTTPStatus.FOUND  # not yet
    client.post("/accounts/2fa/authenticate/", {"code": fresh_code(secret)})

    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_the_admin_login_page_never_opens_the_admin_with_a_password_alone(client):
    boss = UserFactory.create(
        email="chief@example.com", is_staff=True, is_superuser=True
    )
    give_totp(boss)

    client.post("/admin/login/", {"username": boss.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == HTTPStatus.FOUND
    assert Authenticator.objects.filter(user=boss).count() == 1
