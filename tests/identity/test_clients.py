"""Registering apps: `manage.py oidc_client add` and the admin. A secret is
shown once, stored hashed, and never on a page again."""

from __future__ import annotations

import io
import json
from http import HTTPStatus

import pytest
from allauth.idp.oidc.models import Client as OIDCClient
from allauth.idp.oidc.models import Token
from django.core.management import CommandError, call_command
from django.test import Client

from identity.secrets import ALGORITHM
from tests.support import oidc

pytestmark = pytest.mark.django_db


def add(*args: str) -> dict:
    out = io.StringIO()
    call_command("oidc_client", "add", *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines  # one JSON object, nothing else
    return json.loads(lines[0])


def test_add_prints_the_id_and_secret_once_and_stores_only_a_hash():
    answer = add("Acme Notes", "--redirect-uri", "https://notes.example.com/cb")

    client = OIDCClient.objects.get(pk=answer["client_id"])
    assert set(answer) == {"client_id", "client_secret"}
    assert answer["client_secret"] not in client.secret
    assert client.secret.startswith(f"{ALGORITHM}$")
    assert client.check_secret(answer["client_secret"])
    assert client.type == OIDCClient.Type.CONFIDENTIAL
    assert not client.skip_consent


def test_add_takes_several_redirect_uris():
    answer = add(
        "Acme Notes",
        "--redirect-uri",
        "https://notes.example.com/cb",
        "--redirect-uri",
        "http://127.0.0.1:8123/cb",
    )

    client = OIDCClient.objects.get(pk=answer["client_id"])
    assert client.get_redirect_uris() == [
        "https://notes.example.com/cb",
        "http://127.0.0.1:8123/cb",
    ]


def test_a_public_app_has_no_secret_and_must_use_pkce():
    answer = add(
        "Acme Mobile", "--redirect-uri", "com.example.notes:/callback", "--public"
    )

    client = OIDCClient.objects.get(pk=answer["client_id"])
    assert set(answer) == {"client_id"}
    assert client.type == OIDCClient.Type.PUBLIC
    assert not client.check_secret("")


def test_a_first_party_app_skips_consent_and_may_refresh():
    answer = add(
        "Team Admin", "--redirect-uri", "https://admin.example.com/cb", "--first-party"
    )

    client = OIDCClient.objects.get(pk=answer["client_id"])
    assert client.skip_consent
    assert client.get_grant_types() == ["authorization_code", "refresh_token"]
    assert client.get_scopes() == ["openid", "profile", "email"]


@pytest.mark.parametrize(
    "uri",
    [
        "http://notes.example.com/cb",
        "https://*.example.com/cb",
        "https://notes.example.com/cb#fragment",
        "notes",
        "javascript:alert(1)",
        "",
    ],
)
def test_add_refuses_a_redirect_uri_an_app_should_not_have(uri):
    with pytest.raises(CommandError):
        add("Acme Notes", "--redirect-uri", uri)

    assert not OIDCClient.objects.exists()


def test_add_refuses_an_empty_name():
    with pytest.raises(CommandError):
        add("  ", "--redirect-uri", "https://notes.example.com/cb")


def test_a_secret_checks_without_the_cost_of_a_password_hash():
    """A token request checks the secret: a salted SHA-256, not Argon2."""
    answer = add("Acme Notes", "--redirect-uri", "https://notes.example.com/cb")
    client = OIDCClient.objects.get(pk=answer["client_id"])

    assert not client.check_secret(answer["client_secret"] + "x")
    assert client.check_secret(answer["client_secret"])


# --- The admin ----------------------------------------------------------------


def test_the_admin_shows_a_new_apps_secret_once_and_never_its_hash(staff_client):
    response = staff_client.post(
        "/admin/allauth_idp_oidc/client/add/",
        {
            "name": "Team Admin",
            "type": "confidential",
            "redirect_uris": "https://admin.example.com/cb",
            "scopes": "openid\nemail",
            "default_scopes": "openid",
            "grant_types": "authorization_code",
            "response_types": "code",
            "cors_origins": "",
        },
        follow=True,
    )

    client = OIDCClient.objects.get(name="Team Admin")
    shown = response.content.decode()
    secret = shown.split("keep it safe: <code>", 1)[1].split("</code>", 1)[0]
    assert client.check_secret(secret.replace("&amp;", "&").replace("&#x27;", "'"))
    page = staff_client.get(f"/admin/allauth_idp_oidc/client/{client.pk}/change/")
    assert client.secret not in page.content.decode()
    assert secret not in page.content.decode()
    assert 'name="secret"' not in page.content.decode()


def test_the_token_list_never_shows_a_tokens_hash(staff_client, user):
    app = oidc.register()
    browser = Client()
    browser.force_login(user)
    oidc.signed_in_to_app(browser, Client(), app)
    token = Token.objects.filter(user=user).first()
    assert token is not None

    listing = staff_client.get("/admin/allauth_idp_oidc/token/").content.decode()
    page = staff_client.get(f"/admin/allauth_idp_oidc/token/{token.pk}/change/")

    assert page.status_code == HTTPStatus.OK
    assert token.hash not in listing
    assert token.hash not in page.content.decode()


def test_the_token_list_names_and_filters_each_type_in_korean(staff_client, user):
    app = oidc.register()
    browser = Client()
    browser.force_login(user)
    oidc.signed_in_to_app(browser, Client(), app)  # an access and a refresh token
    korean = {"Accept-Language": "ko"}

    listing = staff_client.get("/admin/allauth_idp_oidc/token/", headers=korean)
    refresh_only = staff_client.get(
        "/admin/allauth_idp_oidc/token/", {"type": "rt"}, headers=korean
    )

    html = listing.content.decode()
    for english, korean_name in [
        ("Access token", "액세스 토큰"),
        ("Refresh token", "리프레시 토큰"),
        ("Authorization code", "인가 코드"),
    ]:
        assert english not in html
        assert korean_name in html
    assert list(refresh_only.context["cl"].result_list) == list(
        Token.objects.filter(type=Token.Type.REFRESH_TOKEN)
    )


def test_the_admin_refuses_the_device_grant(staff_client):
    response = staff_client.post(
        "/admin/allauth_idp_oidc/client/add/",
        {
            "name": "Acme TV",
            "type": "public",
            "redirect_uris": "",
            "scopes": "openid",
            "default_scopes": "openid",
            "grant_types": "urn:ietf:params:oauth:grant-type:device_code",
            "response_types": "code",
            "cors_origins": "",
        },
    )

    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert "does not offer device authorization" in response.content.decode()
    assert not OIDCClient.objects.filter(name="Acme TV").exists()
