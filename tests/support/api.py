"""allauth's headless API and ours, called as a client would: one JSON
request at a time, through Django's test client."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING

from tests.support.factories import PASSWORD
from tests.support.flows import mailed_code

if TYPE_CHECKING:
    from django.test import Client

APP = "/_allauth/app/v1"
BROWSER = "/_allauth/browser/v1"


def call(client: Client, method: str, path: str, data=None, **headers):
    """One JSON request; returns (status, body)."""
    kwargs: dict[str, object] = {"headers": headers}
    if data is not None:
        kwargs.update(
            data=data if isinstance(data, bytes) else json.dumps(data),
            content_type="application/json",
        )
    response = getattr(client, method)(path, **kwargs)
    return response.status_code, response.json()


def login(client: Client, email: str, password: str = PASSWORD, **headers: str):
    return call(
        client,
        "post",
        f"{APP}/auth/login",
        {"email": email, "password": password},
        **headers,
    )


def reauthenticate(client: Client, password: str = PASSWORD, **headers: str) -> int:
    """Prove the password again, as a sensitive change asks; the status."""
    status, _ = call(
        client, "post", f"{APP}/auth/reauthenticate", {"password": password}, **headers
    )
    return status


def tokens_of(body: dict) -> tuple[str, str]:
    return body["meta"]["access_token"], body["meta"]["refresh_token"]


def bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}"}


def refresh(client: Client, refresh_token: str):
    return call(
        client, "post", f"{APP}/tokens/refresh", {"refresh_token": refresh_token}
    )


def me(client: Client, **headers) -> int:
    return client.get("/api/me", headers=headers).status_code


def login_by_code(client: Client, email: str, **headers: str):
    """Sign in over the app client with a code mailed to `email`, read from
    the outbox as the person would read it from the mail; (status, body)."""
    status, body = call(client, "post", f"{APP}/auth/code/request", {"email": email})
    assert status == HTTPStatus.UNAUTHORIZED, body
    token = {"X-Session-Token": body["meta"]["session_token"]}
    return call(
        client,
        "post",
        f"{APP}/auth/code/confirm",
        {"code": mailed_code(email)},
        **token,
        **headers,
    )
