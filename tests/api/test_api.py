"""The JSON API: allauth headless for the app and browser clients, JWTs with
rotation and reuse detection, the refresh cookie, /api/me, and bad input."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from allauth.account.models import EmailAddress
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.support.api import (
    APP,
    BROWSER,
    bearer,
    call,
    login,
    me,
    reauthenticate,
    refresh,
    tokens_of,
)
from tests.support.factories import PASSWORD
from tests.support.flows import NEW_PASSWORD, found
from users.models import User

# --- The seed's three cases, over JSON ---------------------------------------


@pytest.mark.django_db
def test_valid_signup_answers_with_a_pending_verify_email_flow_and_no_tokens(client):
    status, body = call(
        client,
        "post",
        f"{APP}/auth/signup",
        {"email": "new@example.com", "password": PASSWORD},
    )

    assert status == HTTPStatus.UNAUTHORIZED
    pending = [flow["id"] for flow in body["data"]["flows"] if flow.get("is_pending")]
    assert pending == ["verify_email"]
    assert "access_token" not in body["meta"]
    assert "refresh_token" not in body["meta"]
    assert User.objects.get().email == "new@example.com"


@pytest.mark.django_db
@pytest.mark.parametrize("again", ["dup@example.com", "DUP@Example.com"])
def test_duplicate_signup_over_json_answers_the_same_and_creates_nothing(again):
    first = call(
        Client(),
        "post",
        f"{APP}/auth/signup",
        {"email": "dup@example.com", "password": PASSWORD},
    )
    second = call(
        Client(), "post", f"{APP}/auth/signup", {"email": again, "password": PASSWORD}
    )

    assert second[0] == first[0] == HTTPStatus.UNAUTHORIZED
    assert second[1]["data"] == first[1]["data"]
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "param"),
    [
        ({"email": "", "password": PASSWORD}, "email"),
        ({"email": "weak@example.com", "password": "123"}, "password"),
        ({"email": "weak@example.com", "password": "password"}, "password"),
    ],
    ids=["empty-email", "short-password", "common-password"],
)
def test_empty_email_or_weak_password_is_a_400_with_field_errors(client, data, param):
    status, body = call(client, "post", f"{APP}/auth/signup", data)

    assert status == HTTPStatus.BAD_REQUEST
    assert body["status"] == HTTPStatus.BAD_REQUEST
    assert param in {error.get("param") for error in body["errors"]}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_response_never_echoes_the_password(client):
    response = client.post(
        f"{APP}/auth/signup",
        json.dumps({"email": "echo@example.com", "password": PASSWORD}),
        content_type="application/json",
    )
    assert PASSWORD.encode() not in response.content


# --- The app client, end to end -----------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_app_client_signup_verify_login_refresh_reuse_and_logout(mailbox):
    client = Client()
    status, body = call(
        client,
        "post",
        f"{APP}/auth/signup",
        {"email": "app@example.com", "password": PASSWORD},
    )
    session_token = body["meta"]["session_token"]
    (message,) = mailbox.wait_for(to="app@example.com")
    key = found(r"/confirm-email/([^/\s]+)/", message.text)

    status, body = call(
        client,
        "post",
        f"{APP}/auth/email/verify",
        {"key": key},
        **{"X-Session-Token": session_token},
    )
    assert status == HTTPStatus.UNAUTHORIZED  # verified; now log in
    status, body = login(client, "app@example.com")
    assert status == HTTPStatus.OK
    access, refresh_1 = tokens_of(body)

    status, body = call(client, "get", "/api/me", **bearer(access))
    assert status == HTTPStatus.OK
    assert body["data"]["email"] == "app@example.com"
    assert body["data"]["verified"] is True
    assert "user" not in body["data"]
    assert not {"password", "hash"} & set(body["data"])

    status, body = refresh(client, refresh_1)
    assert status == HTTPStatus.OK
    access_2, refresh_2 = body["data"]["access_token"], body["data"]["refresh_token"]
    assert refresh_2 != refresh_1
    assert me(client, **bearer(access_2)) == HTTPStatus.OK

    # The rotated token is refused, and presenting it revokes the session.
    assert refresh(client, refresh_1)[0] == HTTPStatus.BAD_REQUEST
    assert refresh(client, refresh_2)[0] == HTTPStatus.BAD_REQUEST
    assert me(client, **bearer(access_2)) == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_logout_kills_the_access_token(client, user):
    access, _ = tokens_of(login(client, user.email)[1])
    assert me(client, **bearer(access)) == HTTPStatus.OK

    status, _ = call(client, "delete", f"{APP}/auth/session", **bearer(access))

    assert status == HTTPStatus.UNAUTHORIZED
    assert me(client, **bearer(access)) == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_an_expired_session_ends_its_access_tokens(client, user):
    access, _ = tokens_of(login(client, user.email)[1])
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    assert me(client, **bearer(access)) == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_a_deactivated_accounts_access_tokens_are_refused(client, user):
    access, _ = tokens_of(login(client, user.email)[1])
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert me(client, **bearer(access)) == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_me_says_whether_the_primary_address_is_verified(client, user):
    access, _ = tokens_of(login(client, user.email)[1])
    assert call(client, "get", "/api/me", **bearer(access))[1]["data"]["verified"]

    EmailAddress.objects.filter(user=user).update(verified=False)

    status, body = call(client, "get", "/api/me", **bearer(access))
    assert status == HTTPStatus.OK
    assert body["data"]["verified"] is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_password_change_kills_every_access_token(user, mailbox):
    here, _ = tokens_of(login(Client(), user.email)[1])
    elsewhere, elsewhere_refresh = tokens_of(login(Client(), user.email)[1])

    status, _ = call(
        Client(),
        "post",
        f"{APP}/account/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        **bearer(here),
    )

    assert status in (HTTPStatus.OK, HTTPStatus.UNAUTHORIZED)
    assert User.objects.get().check_password(NEW_PASSWORD)
    assert me(Client(), **bearer(here)) == HTTPStatus.UNAUTHORIZED
    assert me(Client(), **bearer(elsewhere)) == HTTPStatus.UNAUTHORIZED
    assert refresh(Client(), elsewhere_refresh)[0] == HTTPStatus.BAD_REQUEST
    mailbox.wait_for(to=user.email)  # "your password was changed"


@pytest.mark.django_db
def test_an_app_that_changes_the_password_gets_tokens_of_its_new_session(user):
    here, _ = tokens_of(login(Client(), user.email)[1])

    status, body = call(
        Client(),
        "post",
        f"{APP}/account/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        **bearer(here),
    )

    assert status == HTTPStatus.OK
    fresh, fresh_refresh = tokens_of(body)
    assert me(Client(), **bearer(here)) == HTTPStatus.UNAUTHORIZED
    assert me(Client(), **bearer(fresh)) == HTTPStatus.OK
    assert refresh(Client(), fresh_refresh)[0] == HTTPStatus.OK


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_password_reset_over_json(user, mailbox):
    client = Client()
    status, _ = call(
        client, "post", f"{APP}/auth/password/request", {"email": user.email}
    )
    assert status == HTTPStatus.OK
    (message,) = mailbox.wait_for(to=user.email)
    key = found(r"/password/reset/key/([^/\s]+)/", message.text)

    status, _ = call(
        client,
        "post",
        f"{APP}/auth/password/reset",
        {"key": key, "password": NEW_PASSWORD},
    )

    assert status == HTTPStatus.UNAUTHORIZED  # reset; now log in
    assert login(Client(), user.email, NEW_PASSWORD)[0] == HTTPStatus.OK
    assert login(Client(), user.email, PASSWORD)[0] == HTTPStatus.BAD_REQUEST


@pytest.mark.django_db
def test_password_reset_request_for_an_unknown_address_answers_like_a_known_one(user):
    known = call(
        Client(), "post", f"{APP}/auth/password/request", {"email": user.email}
    )
    unknown = call(
        Client(),
        "post",
        f"{APP}/auth/password/request",
        {"email": "nobody@example.com"},
    )

    assert known == unknown


@pytest.mark.django_db
def test_wrong_password_and_unknown_account_get_the_same_answer(user):
    wrong = login(Client(), user.email, "nope-Nope-123")
    unknown = login(Client(), "nobody@example.com", "nope-Nope-123")

    assert wrong == unknown


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_email_management_over_json(user, mailbox):
    client = Client()
    access, _ = tokens_of(login(client, user.email)[1])
    # Adding an address is a sensitive change: the password again first.
    assert reauthenticate(client, **bearer(access)) == HTTPStatus.OK

    status, body = call(
        client,
        "post",
        f"{APP}/account/email",
        {"email": "second@example.com"},
        **bearer(access),
    )

    assert status == HTTPStatus.OK
    assert {a["email"]: a["verified"] for a in body["data"]} == {
        user.email: True,
        "second@example.com": False,
    }
    mailbox.wait_for(to="second@example.com")
    status, body = call(client, "get", f"{APP}/account/email", **bearer(access))
    assert len(body["data"]) == 2


# --- The browser client --------------------------------------------------------


@pytest.mark.django_db
def test_browser_client_needs_csrf_and_never_sees_a_token(user):
    client = Client(enforce_csrf_checks=True)
    status, body = call(
        client,
        "post",
        f"{BROWSER}/auth/login",
        {"email": user.email, "password": PASSWORD},
    )
    assert status == HTTPStatus.FORBIDDEN
    assert body["status"] == HTTPStatus.FORBIDDEN

    call(client, "get", f"{BROWSER}/auth/session")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        f"{BROWSER}/auth/login",
        json.dumps({"email": user.email, "password": PASSWORD}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == HTTPStatus.OK
    assert client.cookies["sessionid"]["httponly"]
    for payload in (response.content, client.get(f"{BROWSER}/auth/session").content):
        assert b"token" not in payload
    assert me(client) == HTTPStatus.OK


# --- The refresh cookie ---------------------------------------------------------


@pytest.mark.django_db
def test_cookie_mode_keeps_the_refresh_token_out_of_the_body(client, user):
    status, body = login(client, user.email, **{"X-Refresh-Token-Transport": "cookie"})

    assert status == HTTPStatus.OK
    assert "refresh_token" not in body["meta"]
    assert body["meta"]["access_token"]
    cookie = client.cookies["refresh_token"]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/token/refresh"


@pytest.mark.django_db
def test_refresh_through_the_cookie_rotates_it(client, user):
    login(client, user.email, **{"X-Refresh-Token-Transport": "cookie"})
    first = client.cookies["refresh_token"].value

    status, body = call(client, "post", "/api/token/refresh")

    assert status == HTTPStatus.OK
    assert me(client, **bearer(body["data"]["access_token"])) == HTTPStatus.OK
    assert client.cookies["refresh_token"].value != first
    assert "refresh_token" not in body["data"]


@pytest.mark.django_db
def test_refresh_without_a_cookie_is_a_401(client):
    status, body = call(client, "post", "/api/token/refresh")
    assert status == HTTPStatus.UNAUTHORIZED
    assert body["errors"][0]["code"] == "invalid_refresh_token"


@pytest.mark.django_db
def test_deleting_the_refresh_cookie_clears_it(client, user):
    login(client, user.email, **{"X-Refresh-Token-Transport": "cookie"})

    call(client, "delete", "/api/token/refresh")

    assert client.cookies["refresh_token"].value == ""


# --- /api/me and its credentials -------------------------------------------------


@pytest.mark.django_db
def test_me_accepts_an_app_session_token(client, user):
    _, body = login(client, user.email)
    assert (
        me(client, **{"X-Session-Token": body["meta"]["session_token"]})
        == HTTPStatus.OK
    )


@pytest.mark.django_db
def test_me_without_credentials_is_a_401_in_allauths_error_shape(client):
    status, body = call(client, "get", "/api/me")
    assert status == HTTPStatus.UNAUTHORIZED
    assert body == {
        "status": 401,
        "errors": [
            {"message": "Authentication required.", "code": "not_authenticated"}
        ],
    }


def signed(payload: dict, key=None, algorithm: str = "RS256") -> str:
    key = key if key is not None else settings.HEADLESS_JWT_PRIVATE_KEY
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.fixture
def claims(client, user) -> dict:
    """The claims of a real access token for `user`, to tamper with."""
    access, _ = tokens_of(login(client, user.email)[1])
    return jwt.decode(access, options={"verify_signature": False})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forge",
    [
        lambda c: jwt.encode(c, "", algorithm="none"),
        lambda c: signed(
            c,
            rsa.generate_private_key(
                public_exponent=65537, key_size=2048
            ).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        ),
        lambda c: signed({**c, "exp": int(time.time()) - 10}),
        lambda c: signed({**c, "token_use": "refresh"}),
        lambda c: signed({**c, "sub": "999999"}),
        lambda c: signed(c, settings.SECRET_KEY, "HS256"),
        lambda c: "not.a.jwt",
    ],
    ids=[
        "alg-none",
        "other-key",
        "expired",
        "refresh-as-access",
        "other-user",
        "hs256-with-secret",
        "garbage",
    ],
)
def test_forged_or_wrong_tokens_are_refused(client, claims, forge):
    token = forge(claims)

    status, body = call(client, "get", "/api/me", **bearer(token))
    assert status == HTTPStatus.UNAUTHORIZED
    assert body["errors"][0]["code"] == "not_authenticated"
    status, body = call(client, "get", f"{APP}/auth/session", **bearer(token))
    assert status == HTTPStatus.UNAUTHORIZED
    assert body["meta"]["is_authenticated"] is False


@pytest.mark.django_db
def test_a_refresh_token_cannot_be_used_as_an_access_token(client, user):
    _, refresh_token = tokens_of(login(client, user.email)[1])
    assert me(client, **bearer(refresh_token)) == HTTPStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_an_access_token_cannot_be_used_to_refresh(client, user):
    access, _ = tokens_of(login(client, user.email)[1])
    assert refresh(client, access)[0] == HTTPStatus.BAD_REQUEST


@pytest.mark.django_db
def test_access_tokens_last_five_minutes(client, claims):
    assert claims["exp"] - claims["iat"] == 300
    assert claims["token_use"] == "access"


@pytest.mark.django_db
def test_access_tokens_are_rs256_and_verify_with_the_services_public_key(client, user):
    access, _ = tokens_of(login(client, user.email)[1])
    private_key = serialization.load_pem_private_key(
        str(settings.HEADLESS_JWT_PRIVATE_KEY).encode(), password=None
    )
    assert isinstance(private_key, rsa.RSAPrivateKey)
    public_key = private_key.public_key()

    assert jwt.get_unverified_header(access)["alg"] == "RS256"
    assert jwt.decode(access, public_key, algorithms=["RS256"])["sub"] == str(user.pk)
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(access, public_key, algorithms=["HS256"])


# --- Bad input ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b'["a", "list"]', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (
            json.dumps(
                {"email": "a@example.com", "password": PASSWORD, "admin": True}
            ).encode(),
            "unknown_field",
        ),
        (
            json.dumps({"email": ["a@example.com"], "password": PASSWORD}).encode(),
            "invalid_type",
        ),
        (
            json.dumps({"email": "a@example.com", "password": 12345678}).encode(),
            "invalid_type",
        ),
        (json.dumps({"email": None, "password": PASSWORD}).encode(), "invalid_type"),
    ],
    ids=[
        "malformed",
        "not-an-object",
        "not-utf8",
        "unknown-field",
        "list-for-string",
        "number-for-string",
        "null",
    ],
)
@pytest.mark.parametrize("endpoint", ["auth/signup", "auth/login"])
def test_malformed_bodies_get_a_400_in_allauths_error_shape(
    client, body, code, endpoint
):
    status, answer = call(client, "post", f"{APP}/{endpoint}", body)

    assert status == HTTPStatus.BAD_REQUEST
    assert answer["status"] == HTTPStatus.BAD_REQUEST
    assert answer["errors"][0]["code"] == code
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_multipart_body_that_passed_the_csrf_check_is_a_400_not_json(user):
    """Django's CSRF check reads a multipart body's fields from the stream,
    after which its raw bytes are gone: allauth, reading them, would 500."""
    client = Client(enforce_csrf_checks=True)
    call(client, "get", f"{BROWSER}/auth/session")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        f"{BROWSER}/auth/login",
        {"csrfmiddlewaretoken": csrf, "email": user.email, "password": PASSWORD},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["code"] == "invalid_json"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"email": "a" * 300 + "@example.com", "password": PASSWORD},
        {"email": "long@example.com", "password": "x" * 200_000},
        {"email": "nul\x00@example.com", "password": PASSWORD},
    ],
    ids=["overlong-email", "200kb-password", "nul-byte"],
)
def test_overlong_or_odd_fields_are_a_400(client, data):
    status, body = call(client, "post", f"{APP}/auth/signup", data)

    assert status == HTTPStatus.BAD_REQUEST
    assert body["errors"]
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "patch", "put", "delete"])
@pytest.mark.parametrize("client_kind", ["app", "browser"])
def test_disabled_phone_and_verification_code_routes_are_404s(
    client, method, client_kind
):
    body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
    for feature in ["account/phone", "auth/phone/verify", "auth/email/verify/resend"]:
        response = getattr(client, method)(
            f"/_allauth/{client_kind}/v1/{feature}", **body
        )
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["errors"][0]["code"] == "not_enabled"


@pytest.mark.django_db
def test_unknown_api_paths_and_methods_answer_json(client):
    missing = client.get("/_allauth/app/v1/no-such-thing")
    wrong_method = client.put("/api/me")

    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert missing.json()["errors"][0]["code"] == "not_found"
    assert wrong_method.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert wrong_method.json()["status"] == HTTPStatus.METHOD_NOT_ALLOWED


# --- The contract ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_spec_is_served_without_the_flows_we_leave_off(client):
    response = client.get("/_allauth/openapi.json")

    assert response.status_code == HTTPStatus.OK
    spec = response.json()
    paths = set(spec["paths"])
    assert "/_allauth/{client}/v1/auth/signup" in paths
    assert "/api/me" in paths
    assert not [p for p in paths if "phone" in p or p.endswith("/verify/resend")]
    # Login by emailed code, second factors and sessions are offered.
    assert "/_allauth/{client}/v1/auth/code/confirm" in paths
    assert "/_allauth/{client}/v1/auth/2fa/authenticate" in paths
    assert "/_allauth/{client}/v1/auth/sessions" in paths
    login_schema = json.dumps(spec["components"]["schemas"]["Login"])
    assert "username" not in login_schema
    assert "phone" not in login_schema.lower()
    assert client.get("/_allauth/openapi.yaml").status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_the_spec_page_loads_nothing_from_elsewhere(client):
    response = client.get("/_allauth/openapi.html")

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "/_allauth/openapi.json" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


# --- Front-end links and CORS ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_emailed_links_point_at_a_configured_front_end(settings, mailbox):
    settings.HEADLESS_FRONTEND_URLS = {
        "account_confirm_email": "https://app.example.com/verify/{key}"
    }
    call(
        Client(),
        "post",
        f"{APP}/auth/signup",
        {"email": "spa@example.com", "password": PASSWORD},
    )

    (message,) = mailbox.wait_for(to="spa@example.com")
    assert re.search(r"https://app\.example\.com/verify/\S+", message.text)
    # The sign-off names the service's own address; no link leads to our page.
    assert "http://testserver/accounts/" not in message.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_a_name_missing_from_the_front_end_urls_falls_back_to_our_page(
    settings, user, mailbox
):
    settings.HEADLESS_FRONTEND_URLS = {
        "account_confirm_email": "https://app.example.com/verify/{key}"
    }

    status, _ = call(
        Client(), "post", f"{APP}/auth/password/request", {"email": user.email}
    )

    assert status == HTTPStatus.OK
    (message,) = mailbox.wait_for(to=user.email)
    assert "http://testserver/accounts/password/reset/key/" in message.text


@pytest.mark.django_db
def test_cors_allows_configured_origins_with_credentials(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = client.options(
        "/api/me",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,x-session-token",
        },
    )
    refused = client.options(
        "/api/me",
        headers={
            "Origin": "https://evil.example.com",
            "Access-Control-Request-Method": "GET",
        },
    )

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    assert "x-session-token" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in refused
