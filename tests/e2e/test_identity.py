"""An independent OpenID Connect client, authlib's, signs in through our
provider over HTTP against gunicorn: the authorization code flow with PKCE,
the ID token checked against our JWKS, userinfo, a refresh and a revocation,
each as any app would do them."""

from __future__ import annotations

import json
import re
import secrets
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support import oidc
from tests.support.factories import PASSWORD
from tests.support.flows import found
from tests.support.processes import wait_until
from tests.support.topology import Nginx

if TYPE_CHECKING:
    from tests.support.processes import Web

pytestmark = pytest.mark.django_db(transaction=True)

SCOPE = "openid email profile"


def signed_in_browser(web: Web, email: str) -> requests.Session:
    browser = requests.Session()
    response = web.submit(
        browser, "/accounts/login/", {"login": email, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    return browser


def follow_to_app(web: Web, browser: requests.Session, url: str) -> str:
    """Open the app's authorization URL; through the consent page when there
    is one, press Allow. The URL the browser is sent back to the app with."""
    response = browser.get(url, allow_redirects=False, timeout=30)
    if response.status_code == HTTPStatus.OK:
        page = response.text
        response = browser.post(
            f"{web.url}/identity/o/authorize",
            data={
                "csrfmiddlewaretoken": found(
                    r'name="csrfmiddlewaretoken" value="([^"]+)"', page
                ),
                "request": found(r'name="request" value="([^"]+)"', page),
                "scopes": re.findall(r'name="scopes" value="([^"]+)"', page),
                "action": "grant",
            },
            allow_redirects=False,
            timeout=30,
        )
    assert response.status_code == HTTPStatus.FOUND, response.text[:500]
    return response.headers["Location"]


def verified_id_token(web: Web, token: dict, client_id: str, nonce: str) -> dict:
    """The ID token's claims, its signature checked against our JWKS and its
    claims as OIDC Core section 3.1.3.7 says."""
    config = requests.get(f"{web.url}{oidc.DISCOVERY}", timeout=10).json()
    keys = KeySet.import_key_set(requests.get(config["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"essential": True, "value": config["issuer"]},
            "aud": {"essential": True, "value": client_id},
        },
        params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate()
    return dict(claims)


@pytest.fixture
def config(web) -> dict:
    return requests.get(f"{web.url}{oidc.DISCOVERY}", timeout=10).json()


def authlib_session(app: oidc.App) -> OAuth2Session:
    """authlib as the app uses it: with its secret, or as a public app with
    PKCE alone."""
    if app.secret is None:
        return OAuth2Session(
            app.client_id,
            scope=SCOPE,
            redirect_uri=app.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        )
    return OAuth2Session(
        app.client_id,
        app.secret,
        scope=SCOPE,
        redirect_uri=app.redirect_uri,
        code_challenge_method="S256",
    )


def sign_in_through(
    web: Web, config: dict, email: str, client: OAuth2Session, **params: str
) -> tuple[str, str, str]:
    """The person signs in and the browser is sent back to the app: the
    authorization URL, the URL the app is sent back to, and the PKCE
    verifier the app keeps for the exchange."""
    verifier = secrets.token_urlsafe(48)
    url, _state = client.create_authorization_url(
        config["authorization_endpoint"], code_verifier=verifier, **params
    )
    back = follow_to_app(web, signed_in_browser(web, email), url)
    return url, back, verifier


def test_authlib_signs_in_with_code_and_pkce_and_verifies_the_id_token(
    web, config, user
):
    app = oidc.register(redirect_uri="http://127.0.0.1:9/callback")
    client = authlib_session(app)
    nonce = secrets.token_urlsafe(16)

    url, back, verifier = sign_in_through(web, config, user.email, client, nonce=nonce)
    assert "code_challenge=" + create_s256_code_challenge(verifier) in url
    token = client.fetch_token(
        config["token_endpoint"], authorization_response=back, code_verifier=verifier
    )

    claims = verified_id_token(web, token, app.client_id, nonce)
    assert claims["iss"] == web.url
    assert claims["sub"] == str(user.public_id)
    assert claims["email"] == user.email
    assert claims["email_verified"] is True
    info = client.get(config["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]
    assert info["name"] == user.name


def test_authlib_refreshes_and_revokes(web, config, user):
    app = oidc.register(redirect_uri="http://127.0.0.1:9/callback")
    client = authlib_session(app)
    _url, back, verifier = sign_in_through(web, config, user.email, client)
    first = client.fetch_token(
        config["token_endpoint"], authorization_response=back, code_verifier=verifier
    )

    second = client.refresh_token(
        config["token_endpoint"], refresh_token=first["refresh_token"]
    )
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get(config["userinfo_endpoint"]).status_code == HTTPStatus.OK

    revoked = client.revoke_token(
        config["revocation_endpoint"],
        token=second["refresh_token"],
        token_type_hint="refresh_token",
    )

    assert revoked.status_code == HTTPStatus.OK
    assert client.get(config["userinfo_endpoint"]).status_code == 401
    with pytest.raises(Exception, match="invalid_grant"):
        client.refresh_token(
            config["token_endpoint"], refresh_token=second["refresh_token"]
        )


def test_authlib_as_a_public_app_signs_in_with_pkce_alone(web, config, user):
    app = oidc.register(
        "Acme Mobile", redirect_uri="http://127.0.0.1:9/callback", public=True
    )
    client = authlib_session(app)
    _url, back, verifier = sign_in_through(web, config, user.email, client)

    token = client.fetch_token(
        config["token_endpoint"], authorization_response=back, code_verifier=verifier
    )

    assert client.get(config["userinfo_endpoint"]).json()["email"] == user.email
    assert token["token_type"] == "Bearer"


def test_a_reused_code_over_http_revokes_the_tokens_it_gave(web, config, user):
    app = oidc.register(redirect_uri="http://127.0.0.1:9/callback")
    client = authlib_session(app)
    _url, back, verifier = sign_in_through(web, config, user.email, client)
    client.fetch_token(
        config["token_endpoint"], authorization_response=back, code_verifier=verifier
    )

    with pytest.raises(Exception, match="invalid_grant"):
        OAuth2Session(
            app.client_id, app.secret, redirect_uri=app.redirect_uri
        ).fetch_token(
            config["token_endpoint"],
            authorization_response=back,
            code_verifier=verifier,
        )
    assert client.get(config["userinfo_endpoint"]).status_code == 401


def test_nginx_never_logs_a_providers_code_or_an_approval_key(
    web, certificate, artifacts
):
    """deploy/nginx/nginx.conf's access log: a provider's one-time code comes
    back in a callback's query, an approval key in the link's path."""
    cert, key = certificate
    nginx = Nginx(
        artifacts,
        cert=cert,
        key=key,
        upstream_ports=[web.port],
        server_name="localhost",
    ).start()
    try:
        for path in (
            "/accounts/kakao/login/callback/?code=SECRET-CODE&state=x",
            "/accounts/oidc/oidc/login/callback/?code=SECRET-CODE&state=x",
            "/accounts/3rdparty/approve/SECRET-KEY/",
        ):
            requests.get(
                f"{nginx.url}{path}",
                headers={"Host": "localhost"},
                verify=str(cert),
                allow_redirects=False,
                timeout=30,
            )

        def requests_logged() -> list[dict]:
            # (Less the probe that saw nginx start.)
            return [line for line in nginx.access_log() if line["uri"] != "/"]

        # nginx writes a request's line once its answer has gone out.
        wait_until(lambda: len(requests_logged()) >= 3, 10, "the access log")
        logged = requests_logged()
    finally:
        nginx.stop()

    assert len(logged) == 3
    assert "SECRET" not in json.dumps(logged)
    assert {line["uri"] for line in logged} == {
        "/accounts/kakao/login/callback/?[redacted]",
        "/accounts/oidc/oidc/login/callback/?[redacted]",
        "/accounts/3rdparty/approve/[redacted]",
    }
