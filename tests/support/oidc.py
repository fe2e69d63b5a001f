"""Another app signing people in through our OpenID Connect provider, driven
through Django's test client: a browser (the person) and the app's server
(its token requests), each a `Client`.

End-to-end tests use an independent client library over HTTP instead
(tests/e2e/test_identity.py); these helpers are for the many small claims.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

from django.core.management import call_command

if TYPE_CHECKING:
    from django.test import Client
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

AUTHORIZE = "/identity/o/authorize"
TOKEN = "/identity/o/api/token"
USERINFO = "/identity/o/api/userinfo"
REVOKE = "/identity/o/api/revoke"
DEVICE_CODE = "/identity/o/api/device/code"
DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/.well-known/jwks.json"
REDIRECT_URI = "https://app.example.com/callback"


class App(NamedTuple):
    client_id: str
    secret: str | None
    redirect_uri: str


def register(
    name: str = "Acme Notes",
    *,
    redirect_uri: str = REDIRECT_URI,
    public: bool = False,
    first_party: bool = False,
) -> App:
    """Register an app with `manage.py oidc_client add`, as an operator does."""
    out = io.StringIO()
    options = ["--public"] if public else []
    options += ["--first-party"] if first_party else []
    call_command(
        "oidc_client", "add", name, "--redirect-uri", redirect_uri, *options, stdout=out
    )
    answer = json.loads(out.getvalue())
    return App(answer["client_id"], answer.get("client_secret"), redirect_uri)


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(app: App, challenge: str | None = None, **params: str) -> str:
    query = {
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "state-123",
        "nonce": "nonce-456",
    }
    if challenge is not None:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    query.update(params)
    return f"{AUTHORIZE}?{urlencode(query)}"


def answer_of(response: Response) -> dict[str, str]:
    """The query the browser was sent back to the app with."""
    assert response.status_code == 302, response.status_code
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def consent(browser: Client, page: Response, action: str = "grant") -> Response:
    """Press Allow (or Cancel) on the consent page, every scope ticked."""
    content = page.content.decode()
    signed = content.split('name="request" value="', 1)[1].split('"', 1)[0]
    scopes = [
        part.split('"', 1)[0] for part in content.split('name="scopes" value="')[1:]
    ]
    return browser.post(
        AUTHORIZE, {"request": signed, "scopes": scopes, "action": action}
    )


def authorize(browser: Client, app: App, challenge: str | None = None, **params) -> str:
    """The code an already signed-in person's browser brings back, through
    the consent page when there is one."""
    response = browser.get(authorize_url(app, challenge, **params))
    if response.status_code == 200:
        response = consent(browser, response)
    answer = answer_of(response)
    assert "code" in answer, answer
    return answer["code"]


def basic(app: App) -> dict[str, str]:
    credentials = base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


def token_request(server: Client, app: App, **data: str) -> Response:
    """POST the token endpoint as the app's server does: a confidential app
    with its secret, a public one with its id alone."""
    headers = basic(app) if app.secret else {}
    if not app.secret:
        data.setdefault("client_id", app.client_id)
    return server.post(TOKEN, data, headers=headers)


def exchange(
    server: Client, app: App, code: str, verifier: str | None = None
) -> Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return token_request(server, app, **data)


def refresh(server: Client, app: App, refresh_token: str) -> Response:
    return token_request(
        server, app, grant_type="refresh_token", refresh_token=refresh_token
    )


def userinfo(server: Client, access_token: str) -> Response:
    return server.get(USERINFO, headers={"Authorization": f"Bearer {access_token}"})


def signed_in_to_app(browser: Client, server: Client, app: App) -> dict:
    """The whole dance for a signed-in person: the app's token response."""
    verifier, challenge = pkce()
    code = authorize(browser, app, challenge)
    response = exchange(server, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()
