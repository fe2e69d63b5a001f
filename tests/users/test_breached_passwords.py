"""The breached-password check, against a local fake of the range API: what
leaves the service, what a person is told, and that an outage blocks nobody."""

from __future__ import annotations

import logging
import socket
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from mail.models import OutgoingEmail
from tests.support.factories import PASSWORD
from tests.support.flows import NEW_PASSWORD, link_in, path_of, signup
from tests.support.pwned import BREACHED, FakeRangeAPI, _sha1
from users.models import User
from users.password_validation import breach_count

(BREACHED_PASSWORD,) = BREACHED


@pytest.fixture
def range_api(settings):
    api = FakeRangeAPI()
    settings.PWNED_PASSWORDS_URL = api.url
    yield api
    api.stop()


@pytest.fixture
def silent_api(settings):
    """A server that takes the connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    settings.PWNED_PASSWORDS_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings.PWNED_PASSWORDS_TIMEOUT = 0.3
    yield
    listener.close()


@pytest.fixture
def closed_port(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PWNED_PASSWORDS_URL = f"http://127.0.0.1:{port}"


def test_a_breached_password_is_counted(range_api):
    assert breach_count(BREACHED_PASSWORD) == BREACHED[BREACHED_PASSWORD]
    assert breach_count(PASSWORD) == 0


def test_only_five_characters_of_the_hash_leave_the_service(range_api):
    breach_count(PASSWORD)

    (path,) = range_api.paths
    assert path == f"/range/{_sha1(PASSWORD)[:5]}"
    assert PASSWORD not in path


@pytest.mark.django_db
def test_signup_with_a_breached_password_gets_a_clear_form_error(client, range_api):
    response = signup(client, "careful@example.com", BREACHED_PASSWORD)

    assert response.status_code == HTTPStatus.OK
    (error,) = response.context["form"].errors["password1"]
    assert "data breach" in error
    assert not User.objects.filter(email="careful@example.com").exists()


@pytest.mark.django_db
def test_a_password_change_to_a_breached_one_is_refused(user, range_api):
    client = Client()
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": BREACHED_PASSWORD,
            "password2": BREACHED_PASSWORD,
        },
    )

    assert "data breach" in str(response.context["form"].errors)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_api_refuses_a_breached_password_with_a_json_error(range_api):
    response = Client().post(
        "/_allauth/app/v1/auth/signup",
        {"email": "api@example.com", "password": BREACHED_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    (error,) = response.json()["errors"]
    assert error["param"] == "password"
    assert error["code"] == "password_pwned"


@pytest.mark.django_db
def test_with_the_api_unreachable_the_signup_goes_through_with_a_warning(
    client, closed_port, caplog
):
    with caplog.at_level(logging.WARNING, logger="users.password_validation"):
        response = signup(client, "outage@example.com", NEW_PASSWORD)

    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.filter(email="outage@example.com").exists()
    assert "password accepted" in caplog.text
    assert NEW_PASSWORD not in caplog.text


def test_an_api_that_never_answers_gives_up_and_accepts(silent_api, caplog):
    with caplog.at_level(logging.WARNING, logger="users.password_validation"):
        assert breach_count(BREACHED_PASSWORD) == 0

    assert "TimeoutError" in caplog.text


@pytest.mark.parametrize("url", ["ftp://example.com", "file:///etc/passwd", ""])
def test_an_url_that_is_not_http_is_never_fetched(settings, url, caplog):
    settings.PWNED_PASSWORDS_URL = url

    assert breach_count(BREACHED_PASSWORD) == 0
    assert "not http(s)" in caplog.text


def reset_link(email: str) -> str:
    """Ask for a reset of `email`'s password; the link in the mail."""
    Client().post(reverse("account_reset_password"), {"email": email})
    mail = OutgoingEmail.objects.get(to=email, kind="password_reset")
    return path_of(link_in(mail.body_text, "/password/reset/key/"))


@pytest.mark.django_db
def test_a_password_reset_to_a_breached_one_is_refused(user, range_api):
    client = Client()
    form = client.get(reset_link(user.email))["Location"]

    refused = client.post(
        form, {"password1": BREACHED_PASSWORD, "password2": BREACHED_PASSWORD}
    )

    assert refused.status_code == HTTPStatus.OK
    assert "data breach" in str(refused.context["form"].errors)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # The same link still takes a password nobody has seen.
    taken = client.post(form, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert taken.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_a_password_reset_over_the_api_refuses_a_breached_one(user, range_api):
    key = reset_link(user.email).removeprefix("/accounts/password/reset/key/")

    response = Client().post(
        "/_allauth/app/v1/auth/password/reset",
        {"key": key.rstrip("/"), "password": BREACHED_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    (error,) = response.json()["errors"]
    assert (error["param"], error["code"]) == ("password", "password_pwned")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
