"""The short answers: 503 while the database is down, 413 for bodies over
the limit, on pages and on the API."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import reverse

from ops import unavailable

pytestmark = pytest.mark.django_db

LIMIT = 1024 * 1024


def answer_to(path: str, exc: Exception):
    """handler500's answer to `path` while `exc` is being handled, as Django
    calls it."""
    request = RequestFactory().get(path)
    try:
        raise exc
    except type(exc):
        return unavailable.server_error(request)


def answer_while_the_database_is_down(path: str):
    return answer_to(path, OperationalError("connection failed: Connection refused"))


def test_a_page_gets_a_short_503_with_retry_after():
    response = answer_while_the_database_is_down("/accounts/login/")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER)
    page = response.content.decode()
    assert "Back in a moment" in page
    assert "Traceback" not in page
    assert "OperationalError" not in page


def test_the_api_gets_a_json_503():
    response = answer_while_the_database_is_down("/_allauth/app/v1/auth/session")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = json.loads(response.content)
    assert body["status"] == HTTPStatus.SERVICE_UNAVAILABLE
    assert body["errors"][0]["code"] == "unavailable"


def test_any_other_error_is_still_a_500():
    response = answer_to("/", ValueError("a bug"))

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR


def test_a_page_body_over_the_limit_gets_413():
    response = Client().post(
        reverse("account_login"),
        data=b"x" * (LIMIT + 1),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "Too much at once" in response.content.decode()


def test_an_api_body_over_the_limit_gets_a_json_413():
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        data=b'{"email": "' + b"a" * LIMIT + b'"}',
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["errors"][0]["code"] == "too_large"


def test_a_body_without_a_length_over_the_limit_gets_413_when_read():
    request = RequestFactory().post(
        "/accounts/login/", data=b"x" * (LIMIT + 1), content_type="text/plain"
    )
    del request.META["CONTENT_LENGTH"]
    request.META["CONTENT_LENGTH"] = str(LIMIT + 1)

    response = unavailable.bad_request(request, RequestDataTooBig("too big"))

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_a_body_at_the_limit_is_read():
    response = Client().post(
        reverse("account_login"),
        data=b"login=a%40example.com&password=x&pad=" + b"x" * (LIMIT - 100),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == HTTPStatus.OK
