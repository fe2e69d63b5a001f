"""Reauthentication before sensitive changes: a sign-in is not one, an
address change asks for one, and an account with neither password nor
second factor proves its mailbox with a mailed code instead of passing
unasked (users/reauthentication.py)."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from mail.models import OutgoingEmail
from tests.support.api import (
    APP,
    bearer,
    call,
    login,
    login_by_code,
    reauthenticate,
    tokens_of,
)
from tests.support.factories import PASSWORD, UserFactory
from tests.support.flows import NEW_PASSWORD, mailed_code
from users.models import User

pytestmark = pytest.mark.django_db

CODE_PAGE = "/accounts/reauthenticate/code/"


def signed_in_on_the_page(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return client


def passwordless() -> User:
    """An account with neither password nor second factor: what a login by
    code leaves when it drops a password a stranger typed at signup."""
    return UserFactory.create(email="nopassword@example.com", password=None)


def signed_in_by_code(user: User) -> Client:
    """Signed in on the pages with a code mailed to the address."""
    client = Client()
    client.post(reverse("account_request_login_code"), {"email": user.email})
    answer = client.post(
        reverse("account_confirm_login_code"), {"code": mailed_code(user.email)}
    )
    assert answer.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


def asked_for_code(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and urlsplit(
        response["Location"]
    ).path == (CODE_PAGE)


# --- A sign-in is not a reauthentication ------------------------------------------


def test_a_sign_in_moments_ago_is_no_reauthentication(user):
    client = signed_in_on_the_page(user)

    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_adding_an_address_on_the_page_asks_for_the_password_again(user):
    client = signed_in_on_the_page(user)

    asked = client.post(
        reverse("account_email"), {"email": "more@example.com", "action_add": ""}
    )

    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="more@example.com").exists()
    # Given again, the suspended request goes through.
    client.post(
        asked["Location"], {"password": PASSWORD}
    )  # allauth resumes the POST it held
    assert EmailAddress.objects.filter(email="more@example.com", user=user).exists()


def test_making_an_address_primary_over_the_api_asks_for_reauthentication(user):
    EmailAddress.objects.create(user=user, email="second@example.com", verified=True)
    access, _ = tokens_of(login(Client(), user.email)[1])

    status, body = call(
        Client(),
        "patch",
        f"{APP}/account/email",
        {"email": "second@example.com", "primary": True},
        **bearer(access),
    )

    assert status == HTTPStatus.UNAUTHORIZED
    assert [f["id"] for f in body["data"]["flows"]] == ["reauthenticate"]
    assert EmailAddress.objects.get(email=user.email).primary


# --- An account with neither password nor factor: a mailed code ---------------------


def test_deleting_a_passwordless_account_on_the_page_needs_a_mailed_code():
    user = passwordless()
    client = signed_in_by_code(user)

    assert asked_for_code(client.get(reverse("profile_delete")))
    assert asked_for_code(client.post(reverse("profile_delete"), {"confirm": "on"}))
    assert User.objects.filter(pk=user.pk).exists()


def test_the_mailed_code_reauthenticates_and_the_deletion_goes_ahead():
    user = passwordless()
    client = signed_in_by_code(user)
    asked = client.get(reverse("profile_delete"))["Location"]
    page = client.get(asked)
    assert b"Email me a code" in page.content

    client.post(asked, {"send": "1"})
    (mail,) = OutgoingEmail.objects.filter(to=user.email, subject__contains="confirm")
    confirmed = client.post(asked, {"code": mailed_code(user.email)})

    assert confirmed["Location"] == reverse("profile_delete")
    deleted = client.post(reverse("profile_delete"), {"confirm": "on"})
    assert deleted.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(pk=user.pk).exists()
    assert "/accounts/sessions/" in mail.body_text


def test_a_wrong_mailed_code_is_refused_and_three_wrong_ones_spend_it():
    user = passwordless()
    client = signed_in_by_code(user)
    client.post(CODE_PAGE, {"send": "1"})
    code = mailed_code(user.email)

    wrong = client.post(CODE_PAGE, {"code": "AAAA-AAAA"})
    assert wrong.status_code == HTTPStatus.OK
    assert wrong.context["form"].errors["code"]
    client.post(CODE_PAGE, {"code": "AAAA-AAAB"})
    client.post(CODE_PAGE, {"code": "AAAA-AAAC"})

    spent = client.post(CODE_PAGE, {"code": code})
    assert spent.status_code == HTTPStatus.OK
    assert spent.context["form"].errors["code"]
    assert asked_for_code(client.get(reverse("profile_delete")))


def test_a_stolen_session_cannot_give_a_passwordless_account_a_password():
    user = passwordless()
    thief = signed_in_by_code(user)

    assert asked_for_code(thief.get(reverse("account_set_password")))
    assert asked_for_code(
        thief.post(
            reverse("account_set_password"),
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    )
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_nor_a_second_factor():
    user = passwordless()
    thief = signed_in_by_code(user)

    assert asked_for_code(thief.get("/accounts/2fa/totp/activate/"))
    assert asked_for_code(thief.get("/accounts/2fa/webauthn/add/"))


def test_after_the_mailed_code_the_owner_sets_a_password():
    user = passwordless()
    client = signed_in_by_code(user)
    client.post(CODE_PAGE, {"send": "1"})
    client.post(CODE_PAGE, {"code": mailed_code(user.email)})

    client.post(
        reverse("account_set_password"),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_account_with_a_password_is_sent_to_the_password_page(user):
    client = signed_in_on_the_page(user)

    response = client.get(f"{CODE_PAGE}?next=/profile/delete/")

    assert (
        response["Location"] == "/accounts/reauthenticate/?next=%2Fprofile%2Fdelete%2F"
    )


# --- The same over the API -----------------------------------------------------------


def code_step(headers: dict, path: str, data: dict | None = None):
    return call(
        Client(), "post", f"/api/me/reauthenticate/code/{path}", data, **headers
    )


def test_deleting_a_passwordless_account_over_the_api_needs_a_mailed_code():
    user = passwordless()
    status, body = login_by_code(Client(), user.email)
    assert status == HTTPStatus.OK
    headers = bearer(tokens_of(body)[0])

    status, refused = call(Client(), "delete", "/api/me", **headers)
    assert status == HTTPStatus.UNAUTHORIZED
    assert refused["errors"][0]["code"] == "reauthentication_required"
    assert refused["data"]["flows"] == [{"id": "reauthenticate_by_code"}]

    assert code_step(headers, "request") == (HTTPStatus.OK, {"status": HTTPStatus.OK})
    status, wrong = code_step(headers, "confirm", {"code": "AAAA-AAAA"})
    assert status == HTTPStatus.BAD_REQUEST
    assert wrong["errors"][0] == {
        "message": "This code is wrong or has expired. Ask for a new one.",
        "code": "incorrect_code",
        "param": "code",
    }
    status, _ = code_step(headers, "confirm", {"code": mailed_code(user.email)})
    assert status == HTTPStatus.OK

    assert call(Client(), "delete", "/api/me", **headers)[0] == HTTPStatus.OK
    assert not User.objects.filter(pk=user.pk).exists()


def test_a_passwordless_account_sets_a_password_over_the_api_only_after_the_code():
    user = passwordless()
    headers = bearer(tokens_of(login_by_code(Client(), user.email)[1])[0])
    new_password = {"new_password": NEW_PASSWORD}

    status, body = call(
        Client(), "post", f"{APP}/account/password/change", new_password, **headers
    )
    assert status == HTTPStatus.UNAUTHORIZED
    assert body["meta"]["is_authenticated"] is True
    assert body["data"]["flows"] == [{"id": "reauthenticate_by_code"}]
    user.refresh_from_db()
    assert not user.has_usable_password()

    code_step(headers, "request")
    code_step(headers, "confirm", {"code": mailed_code(user.email)})
    # Set, and like every password change it signs the session out.
    call(Client(), "post", f"{APP}/account/password/change", new_password, **headers)

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_code_reauthentication_lasts_the_configured_window(settings):
    user = passwordless()
    headers = bearer(tokens_of(login_by_code(Client(), user.email)[1])[0])
    code_step(headers, "request")
    code_step(headers, "confirm", {"code": mailed_code(user.email)})
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0

    assert call(Client(), "delete", "/api/me", **headers)[0] == (
        HTTPStatus.UNAUTHORIZED
    )
    assert User.objects.filter(pk=user.pk).exists()


def test_an_account_with_a_password_reauthenticates_with_it_not_a_code(user):
    headers = bearer(tokens_of(login(Client(), user.email)[1])[0])

    status, body = code_step(headers, "request")

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"][0]["code"] == "code_not_available"
    assert not OutgoingEmail.objects.filter(to=user.email).exists()
    assert reauthenticate(Client(), **headers) == HTTPStatus.OK


def test_codes_are_mailed_a_few_a_minute_at_most():
    user = passwordless()
    headers = bearer(tokens_of(login_by_code(Client(), user.email)[1])[0])

    answers = [code_step(headers, "request")[0] for _ in range(4)]

    # allauth's limit on mailed codes, 3 a minute an address: the login code
    # above was the first.
    too_many = HTTPStatus.TOO_MANY_REQUESTS
    assert answers == [HTTPStatus.OK, HTTPStatus.OK, too_many, too_many]
    assert OutgoingEmail.objects.filter(to=user.email).count() == 3


def test_the_code_endpoints_need_a_signed_in_caller(db):
    assert code_step({}, "request")[0] == HTTPStatus.UNAUTHORIZED
    assert code_step({}, "confirm", {"code": "AAAA-AAAA"})[0] == (
        HTTPStatus.UNAUTHORIZED
    )
