"""One error shape everywhere: every 4xx from our API and allauth's carries
an `errors` list, each with a message and a code, as the served contract
says of every error it documents."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from identity import spec as provider_spec
from tests.support.api import APP, BROWSER, call, login
from tests.support.factories import PASSWORD
from users.api.spec import resolve, served_schema

pytestmark = pytest.mark.django_db


def documented_errors() -> set[tuple[str, str, str]]:
    """(path, method, status) of every 4xx answer the served spec documents."""
    spec = served_schema()
    return {
        (path, method, status)
        for path, item in spec["paths"].items()
        # The OpenID Connect provider's endpoints answer as RFC 6749 §5.2
        # and OpenID Connect Core say, for their clients (tests/identity/).
        if path not in provider_spec.PATHS
        for method, operation in item.items()
        if method != "parameters"
        for status in operation["responses"]
        if status.startswith("4")
    }


def assert_shaped(status: int, body: dict, where: str) -> None:
    assert body.get("status") == status, where
    errors = body.get("errors")
    assert isinstance(errors, list), f"{where}: {body}"
    assert errors, f"{where}: {body}"
    for error in errors:
        assert isinstance(error.get("message"), str), f"{where}: {error}"
        assert error["message"], f"{where}: {error}"
        assert isinstance(error.get("code"), str), f"{where}: {error}"


def test_the_contract_documents_an_errors_list_on_every_error():
    spec = served_schema()
    for path, method, status in documented_errors():
        response = resolve(spec, spec["paths"][path][method]["responses"][status])
        schema = response["content"]["application/json"]["schema"]
        assert {"$ref": "#/components/schemas/ErrorList"} in schema["allOf"], (
            path,
            method,
            status,
        )


def concrete(path: str, client: str) -> str:
    return path.replace("{client}", client)


def requests_for(path: str, method: str):
    """The ways a client gets an error from an operation: unknown client,
    no credentials, a stale session token, a body the contract refuses."""
    clients = ["app", "browser"] if "{client}" in path else [None]
    for client in clients:
        url = concrete(path, client or "")
        if client:
            yield "unknown client", concrete(path, "nope"), {}, None
        yield "anonymous", url, {}, None if method == "get" else {}
        if client == "app" or path.startswith("/api/"):
            yield (
                "stale session token",
                url,
                {"X-Session-Token": "no-such-session"},
                None if method == "get" else {},
            )
        if method != "get":
            yield "unknown field", url, {}, {"no_such_field": 1}


def test_every_documented_error_answers_with_an_errors_list():
    seen: dict[tuple[str, str, str], int] = {}
    for path, item in served_schema()["paths"].items():
        if path in provider_spec.PATHS:
            continue  # RFC 6749's shape (documented_errors says why)
        for method in item:
            if method == "parameters":
                continue
            for what, url, headers, data in requests_for(path, method):
                status, body = call(Client(), method, url, data, **headers)
                if status >= HTTPStatus.BAD_REQUEST:
                    assert_shaped(status, body, f"{what}: {method.upper()} {url}")
                    seen[path, method, str(status)] = status

    documented = documented_errors()
    assert set(seen) <= documented | {key for key in seen if key[2] == "405"}, (
        set(seen) - documented
    )
    # Every kind of error the contract documents was met at least once.
    statuses = {status for _path, _method, status in documented}
    assert statuses - {key[2] for key in seen} <= {"403", "409", "429"}


def signed_in_app(user) -> dict[str, str]:
    _, body = login(Client(), user.email)
    return {"Authorization": f"Bearer {body['meta']['access_token']}"}


def test_a_signed_in_login_is_a_conflict_with_an_errors_list(user):
    status, body = call(
        Client(),
        "post",
        f"{APP}/auth/login",
        {"email": user.email, "password": PASSWORD},
        **signed_in_app(user),
    )

    assert status == HTTPStatus.CONFLICT
    assert_shaped(status, body, "login while signed in")


def test_a_throttled_resend_says_why_nothing_was_sent(user, settings):
    # allauth's own cooldown on verification mails, which answers a resend
    # it refuses with a bare 403. (Ours, per account and address, skips the
    # mail and answers 200: the link sent moments ago still works.)
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "confirm_email": "1/3m/key",
    }
    EmailAddress.objects.create(user=user, email="second@example.com")
    headers = signed_in_app(user)

    answers = [
        call(
            Client(),
            "put",
            f"{APP}/account/email",
            {"email": "second@example.com"},
            **headers,
        )
        for _ in range(2)
    ]

    assert answers[0][0] == HTTPStatus.OK
    status, body = answers[1]
    assert status == HTTPStatus.FORBIDDEN
    assert_shaped(status, body, "second resend")
    assert body["errors"][0]["code"] == "verification_not_sent"


def test_too_many_reset_requests_answer_429_with_an_errors_list():
    answers = [
        call(
            Client(),
            "post",
            f"{BROWSER}/auth/password/request",
            {"email": "often@example.com"},
        )
        for _ in range(6)
    ]

    status, body = answers[-1]
    assert status == HTTPStatus.TOO_MANY_REQUESTS
    assert_shaped(status, body, "sixth reset request")


def test_a_browser_post_without_its_csrf_token_has_an_errors_list(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    status, body = call(client, "post", f"{BROWSER}/account/email", {"email": "x@y.z"})

    assert status == HTTPStatus.FORBIDDEN
    assert_shaped(status, body, "CSRF failure")
    assert re.search(r"\w", body["errors"][0]["message"])
