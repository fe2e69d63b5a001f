"""Second factors over the app client: an authenticator app (TOTP, its codes
computed with pyotp as a phone would), recovery codes, and the login limits
that keep six-digit codes from being guessed."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client

from mail.models import OutgoingEmail
from tests.support.api import (
    APP,
    BROWSER,
    bearer,
    call,
    login,
    me,
    reauthenticate,
    tokens_of,
)
from tests.support.factories import (
    PASSWORD,
    UserFactory,
    fresh_totp_code,
    give_recovery_codes,
    give_totp,
)
from tests.support.hashers import CountingHasher

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
        {"code": fresh_totp_code(secret)},
        **bearer(access),
    )
    assert status == HTTPStatus.UNAUTHORIZED
    assert [flow["id"] for flow in body["data"]["flows"]] == ["reauthenticate"]
    assert reauthenticate(Client(), **bearer(access)) == HTTPStatus.OK

    status, _ = call(
        Client(),
        "post",
        f"{APP}/account/authenticators/totp",
        {"code": fresh_totp_code(secret)},
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

    status, body = second_step(password_step(user.email), fresh_totp_code(secret))
    assert status == HTTPStatus.OK
    new_access, _ = tokens_of(body)
    assert me(Client(), **bearer(new_access)) == HTTPStatus.OK


def test_a_totp_code_completes_one_login_only(user):
    secret = give_totp(user)
    code = fresh_totp_code(secret)

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

    status, body = second_step(token, fresh_totp_code(secret))

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"][0]["code"] == "too_many_login_attempts"


def test_the_secret_never_leaves_once_the_app_is_enrolled(user):
    secret = give_totp(user)
    status, body = second_step(password_step(user.email), fresh_totp_code(secret))
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
    client.post("/accounts/2fa/authenticate/", {"code": fresh_totp_code(secret)})

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


# --- What a second factor costs ---------------------------------------------------


@pytest.fixture
def hashes(settings) -> list[str]:
    """The password hashes computed from here on (tests/support/hashers.py)."""
    settings.PASSWORD_HASHERS = [
        "tests.support.hashers.CountingHasher",
        *settings.PASSWORD_HASHERS[1:],
    ]
    CountingHasher.computed.clear()
    return CountingHasher.computed


def test_a_login_without_a_second_factor_computes_one_hash(user, hashes):
    client = Client()

    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert client.session["_auth_user_id"] == str(user.pk)
    assert hashes == ["verify"]


def test_a_second_factor_adds_a_request_and_no_password_hash(user, hashes):
    secret = give_totp(user)
    client = Client()

    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert hashes == ["verify"]
    assert "_auth_user_id" not in client.session
    client.post("/accounts/2fa/authenticate/", {"code": fresh_totp_code(secret)})

    assert client.session["_auth_user_id"] == str(user.pk)
    assert hashes == ["verify"]


def test_over_the_api_too(user, hashes):
    secret = give_totp(user)

    token = password_step(user.email)
    status, _ = second_step(token, fresh_totp_code(secret))

    assert status == HTTPStatus.OK
    assert hashes == ["verify"]


# --- Reauthentication by the app's code, and recovery codes -------------------------


def signed_in_with_a_recovery_code(user) -> tuple[Client, str]:
    """Signed in on the pages with the password and a recovery code, which
    leaves the app's current code unused; the app's secret."""
    secret = give_totp(user)
    first_code = give_recovery_codes(user)[0]
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": first_code})
    assert client.session["_auth_user_id"] == str(user.pk)
    return client, secret


def test_the_apps_code_reauthenticates_on_the_pages(user):
    client, secret = signed_in_with_a_recovery_code(user)
    asked = client.get("/accounts/2fa/totp/deactivate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")

    wrong = client.post(
        "/accounts/2fa/reauthenticate/?next=/accounts/2fa/totp/deactivate/",
        {"code": "000000"},
    )
    assert wrong.status_code == HTTPStatus.OK
    assert wrong.context["form"].errors["code"]
    done = client.post(
        "/accounts/2fa/reauthenticate/?next=/accounts/2fa/totp/deactivate/",
        {"code": fresh_totp_code(secret)},
    )

    assert done["Location"] == "/accounts/2fa/totp/deactivate/"
    assert client.get("/accounts/2fa/totp/deactivate/").status_code == HTTPStatus.OK


def test_the_apps_code_reauthenticates_over_the_api(user):
    secret = give_totp(user)
    (recovery_code,) = give_recovery_codes(user)[:1]
    status, body = second_step(password_step(user.email), recovery_code)
    access, _ = tokens_of(body)
    codes = f"{APP}/account/authenticators/recovery-codes"
    status, body = call(Client(), "get", codes, **bearer(access))
    assert status == HTTPStatus.UNAUTHORIZED
    assert [f["id"] for f in body["data"]["flows"]] == [
        "reauthenticate",
        "mfa_reauthenticate",
    ]

    status, _ = call(
        Client(),
        "post",
        f"{APP}/auth/2fa/reauthenticate",
        {"code": fresh_totp_code(secret)},
        **bearer(access),
    )

    assert status == HTTPStatus.OK
    status, body = call(Client(), "get", codes, **bearer(access))
    assert status == HTTPStatus.OK
    assert len(body["data"]["unused_codes"]) == 9


def test_recovery_codes_download_only_after_a_reauthentication(user):
    client, _ = signed_in_with_a_recovery_code(user)
    codes = RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()

    asked = client.get("/accounts/2fa/recovery-codes/download/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert not any(code.encode() in asked.content for code in codes)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    download = client.get("/accounts/2fa/recovery-codes/download/")

    assert download.status_code == HTTPStatus.OK
    assert download["Content-Type"].startswith("text/plain")
    assert download["Content-Disposition"] == (
        'attachment; filename="recovery-codes.txt"'
    )
    text = download.content.decode()
    assert len(codes) == 9
    assert all(code in text for code in codes)
    assert "no-store" in download["Cache-Control"]


def test_new_recovery_codes_replace_the_old_ones_after_a_reauthentication(user):
    client, _ = signed_in_with_a_recovery_code(user)
    old = RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()

    asked = client.post("/accounts/2fa/recovery-codes/generate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert (
        RecoveryCodes(
            Authenticator.objects.get(user=user, type="recovery_codes")
        ).get_unused_codes()
        == old
    )
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post("/accounts/2fa/recovery-codes/generate/")

    new = RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()
    assert len(new) == 10
    assert set(new).isdisjoint(old)
    page = client.get("/accounts/2fa/recovery-codes/").content.decode()
    assert all(code in page for code in new)
    # An old code opens nothing any more; a new one does.
    assert second_step(password_step(user.email), old[0])[0] == HTTPStatus.BAD_REQUEST
    assert second_step(password_step(user.email), new[0])[0] == HTTPStatus.OK


@pytest.mark.parametrize("client_kind", [APP, BROWSER])
def test_config_advertises_factors_passkey_login_login_by_code_and_sessions(
    client_kind,
):
    """What allauth's clients read to decide which pages to show: every
    feature of the second-factor issue, for both clients."""
    status, body = call(Client(), "get", f"{client_kind}/config")

    assert status == HTTPStatus.OK
    config = body["data"]
    assert set(config["mfa"]["supported_types"]) == {
        "totp",
        "recovery_codes",
        "webauthn",
    }
    assert config["mfa"]["passkey_login_enabled"] is True
    assert config["account"]["login_by_code_enabled"] is True
    assert "usersessions" in config
