"""Signing up on the web page: the seed's three cases, races and bad input."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.support.factories import PASSWORD
from tests.support.flows import signup
from users.models import User

SIGNUP = reverse("account_signup")
CHECK_INBOX = reverse("account_email_verification_sent")


@pytest.mark.django_db
def test_valid_signup_redirects_to_check_your_inbox_and_creates_one_user(client):
    response = signup(client, "new.person@example.com")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == CHECK_INBOX
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert address.primary
    assert not address.verified


@pytest.mark.django_db
@pytest.mark.parametrize(
    "again", ["taken@example.com", "TAKEN@example.com", "Taken@Example.COM"]
)
def test_duplicate_signup_in_any_case_answers_like_a_fresh_one(client, again):
    first = signup(client, "taken@example.com")
    second = signup(Client(), again)

    assert second.status_code == first.status_code == HTTPStatus.FOUND
    assert second["Location"] == first["Location"] == CHECK_INBOX
    assert User.objects.count() == 1
    assert EmailAddress.objects.count() == 1


@pytest.mark.django_db
def test_duplicate_signup_does_not_change_the_existing_password(client):
    signup(client, "taken@example.com")
    signup(Client(), "taken@example.com", password="other-Password-99")

    assert User.objects.get().check_password(PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["", "   "])
def test_empty_address_rerenders_the_form_with_an_error(client, email):
    response = signup(client, email)

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["email"]
    assert b'class="errorlist' in response.content
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_signups_for_one_address_create_one_account_and_never_fail():
    """Eight signups at once for one address, in different cases."""
    spellings = ["race@example.com", "RACE@example.com", "Race@Example.com"] * 3
    spellings = spellings[:8]
    barrier = threading.Barrier(len(spellings))
    statuses: list[int] = []

    def attempt(email: str) -> None:
        try:
            barrier.wait()
            statuses.append(
                signup(Client(raise_request_exception=False), email).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(e,)) for e in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [HTTPStatus.FOUND] * len(spellings)
    assert User.objects.count() == 1
    assert EmailAddress.objects.count() == 1


@pytest.mark.django_db
def test_mismatched_passwords_are_a_form_error(client):
    response = signup(client, "x@example.com", password2="something-Else-12")

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("email", {"email": "a" * 245 + "@example.com"}),  # 257 characters
        ("email", {"email": "not-an-address"}),
        ("email", {"email": "two@@example.com"}),
        ("email", {"email": "nul\x00byte@example.com"}),
        ("password1", {"password1": "x" * 200_000, "password2": "x" * 200_000}),
        (
            "password1",
            {"password1": "pass\x00word-Long-1", "password2": "pass\x00word-Long-1"},
        ),
        ("password1", {"password1": "short", "password2": "short"}),
        ("password1", {"password1": "password", "password2": "password"}),
    ],
    ids=[
        "email-over-254",
        "invalid-email",
        "double-at",
        "nul-in-email",
        "200kb-password",
        "nul-in-password",
        "short-password",
        "common-password",
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(client, field, data):
    payload = {"email": "ok@example.com", "password1": PASSWORD, "password2": PASSWORD}
    payload.update(data)

    response = client.post(SIGNUP, payload)

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "ok@example.com"},
        {"password1": PASSWORD, "password2": PASSWORD},
        {
            "email": ["a@example.com", "b@example.com"],
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        {
            "email": "ok@example.com",
            "password1": [PASSWORD, "x"],
            "password2": PASSWORD,
        },
    ],
    ids=["nothing", "no-password", "no-email", "list-of-emails", "list-of-passwords"],
)
def test_missing_or_repeated_fields_never_create_an_account(client, data):
    response = client.post(SIGNUP, data)

    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_json_body_on_the_signup_page_is_refused_cleanly(client):
    response = client.post(SIGNUP, b"{not json", content_type="application/json")

    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert not User.objects.exists()
