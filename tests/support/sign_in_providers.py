"""Local stand-ins for Kakao, Naver, Google and an OpenID Connect provider,
so that no test reaches the internet.

Each answers its token and profile requests with the shapes its
documentation shows (cited at each), for the person a test puts there:

- Kakao: https://developers.kakao.com/docs/latest/en/kakaologin/rest-api
- Naver: https://developers.naver.com/docs/login/profile/profile.md
- Google: https://developers.google.com/identity/openid-connect/openid-connect
- OpenID Connect: discovery, JWKS, token and userinfo per OIDC Core.

A test can also make a provider fail: "down" (503 at its token endpoint),
"slow" (it answers after the service's time-out), "token-garbage" and
"profile-garbage" (an answer that is not JSON), or "profile-empty" (`{}`).

`configure` turns all four on, as an operator does (from the environment,
through the settings reader), with their servers answered by the fakes: the
`providers` fixture (tests/conftest.py) for a test, `configured()` for code
that runs outside a test's fixtures (the email makers of tests/support/emails.py).
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from allauth.socialaccount.providers.google import views as google_views
from allauth.socialaccount.providers.kakao.views import KakaoOAuth2Adapter
from allauth.socialaccount.providers.naver.views import NaverOAuth2Adapter
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import override_settings

from project.settings import readers
from social.models import ProviderPolicy

if TYPE_CHECKING:
    from collections.abc import Iterator

KID = "fake-key-1"
GOOGLE_ISSUER = "https://accounts.google.com"


@dataclass
class Person:
    """Who is signed in at the provider."""

    sub: str = "4242"
    email: str | None = "someone@example.com"
    email_verified: bool = True
    name: str = "Kim Minji"


@dataclass
class Calls:
    """What the service sent: each request's path and form fields."""

    seen: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)

    def to(self, path: str) -> list[dict[str, list[str]]]:
        return [form for _method, p, form in self.seen if p == path]


class FakeProviders:
    """The four fakes on one free loopback port, in a thread of this process."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.person = Person()
        self.failure: str | None = None
        self.slow_seconds = 3.0
        self.calls = Calls()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.certificate = self._certificate()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        self.person = Person()
        self.failure = None
        self.calls.seen.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def oidc_issuer(self) -> str:
        return f"{self.url}/oidc"

    # --- Answers -------------------------------------------------------------

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})

    def id_token(self, issuer: str, audience: str) -> str:
        now = int(time.time())
        person = self.person
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "azp": audience,
            "sub": person.sub,
            "iat": now,
            "exp": now + 3600,
            "name": person.name,
        }
        if person.email is not None:
            claims.update(email=person.email, email_verified=person.email_verified)
        return self.sign(claims)

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def _certificate(self) -> str:
        """Google publishes its keys as X.509 certificates."""
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    def token_answer(self, provider: str, form: dict[str, list[str]]) -> dict:
        audience = (form.get("client_id") or [""])[0]
        answer: dict[str, Any] = {
            "access_token": f"{provider}-access-{self.person.sub}",
            "token_type": "bearer",
            "refresh_token": f"{provider}-refresh-{self.person.sub}",
            "expires_in": 21599,
        }
        if provider == "kakao":
            answer.update(scope="account_email profile_nickname")
        elif provider == "naver":
            answer["expires_in"] = "3600"  # Naver sends a string
        elif provider == "google":
            answer.update(
                scope="openid https://www.googleapis.com/auth/userinfo.email",
                id_token=self.id_token(GOOGLE_ISSUER, audience),
            )
        elif provider == "oidc":
            answer.update(id_token=self.id_token(self.oidc_issuer, audience))
        return answer

    def profile_answer(self, provider: str) -> dict:
        person = self.person
        if provider == "kakao":
            account: dict[str, Any] = {
                "profile_nickname_needs_agreement": False,
                "profile": {"nickname": person.name, "is_default_nickname": False},
                "has_email": person.email is not None,
            }
            if person.email is not None:
                account.update(
                    email_needs_agreement=False,
                    is_email_valid=True,
                    is_email_verified=person.email_verified,
                    email=person.email,
                )
            return {
                "id": int(person.sub),
                "connected_at": "2026-04-11T01:45:28Z",
                "kakao_account": account,
            }
        if provider == "naver":
            response = {"id": person.sub, "nickname": person.name, "name": person.name}
            if person.email is not None:
                response["email"] = person.email
            return {"resultcode": "00", "message": "success", "response": response}
        if provider == "google":  # userinfo v2
            info: dict[str, Any] = {"id": person.sub, "name": person.name}
            if person.email is not None:
                info.update(email=person.email, verified_email=person.email_verified)
            return info
        info = {"sub": person.sub, "name": person.name}
        if person.email is not None:
            info.update(email=person.email, email_verified=person.email_verified)
        return info

    def discovery(self) -> dict:
        issuer = self.oidc_issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
        }


# Paths, by provider: token endpoint and profile endpoint.
TOKEN_PATHS = {
    "/kakao/oauth/token": "kakao",
    "/naver/oauth2.0/token": "naver",
    "/google/token": "google",
    "/oidc/token": "oidc",
}
PROFILE_PATHS = {
    "/kakao/v2/user/me": "kakao",
    "/naver/v1/nid/me": "naver",
    "/google/userinfo": "google",
    "/oidc/userinfo": "oidc",
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(parse_qs(self.rfile.read(length).decode()))

    def _answer(self, form: dict[str, list[str]]) -> None:
        fake = self.server.fake
        path = urlsplit(self.path).path
        fake.calls.seen.append((self.command, path, form))
        if path in TOKEN_PATHS:
            self._token(fake, TOKEN_PATHS[path], form)
        elif path in PROFILE_PATHS:
            self._profile(fake, PROFILE_PATHS[path])
        elif path == "/oidc/.well-known/openid-configuration":
            self._json(fake.discovery())
        elif path == "/oidc/jwks":
            self._json(fake.jwks())
        elif path == "/google/certs":
            self._json({KID: fake.certificate})
        else:
            self._send(404, b"Not Found", "text/plain")

    def _token(self, fake: FakeProviders, provider: str, form) -> None:
        if fake.failure == "down":
            self._send(503, b"Service Unavailable", "text/plain")
            return
        if fake.failure == "slow":
            time.sleep(fake.slow_seconds)
        if fake.failure == "token-garbage":
            self._send(200, b"<html>oops</html>", "application/json")
            return
        self._json(fake.token_answer(provider, form))

    def _profile(self, fake: FakeProviders, provider: str) -> None:
        if fake.failure == "profile-garbage":
            self._send(200, b"<html>oops</html>", "application/json")
        elif fake.failure == "profile-empty":
            self._json({})
        else:
            self._json(fake.profile_answer(provider))

    def _json(self, body: dict) -> None:
        self._send(200, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


class _Server(ThreadingHTTPServer):
    fake: FakeProviders


_running: FakeProviders | None = None


def running() -> FakeProviders:
    """The fakes of this test process: started on first use, on a daemon
    thread that ends with the process."""
    global _running  # noqa: PLW0603 (one server for the whole run)
    if _running is None:
        _running = FakeProviders()
    return _running


# --- Configuring the service to use them ------------------------------------------

# Where allauth's adapters call each provider's servers, by path on the fakes.
# Their sign-in pages (the browser's side) keep their real addresses.
SERVER_URLS: list[tuple[Any, str, str]] = [
    (KakaoOAuth2Adapter, "access_token_url", "/kakao/oauth/token"),
    (KakaoOAuth2Adapter, "profile_url", "/kakao/v2/user/me"),
    (NaverOAuth2Adapter, "access_token_url", "/naver/oauth2.0/token"),
    (NaverOAuth2Adapter, "profile_url", "/naver/v1/nid/me"),
    (google_views.GoogleOAuth2Adapter, "access_token_url", "/google/token"),
    (google_views.GoogleOAuth2Adapter, "identity_url", "/google/userinfo"),
    (google_views, "CERTS_URL", "/google/certs"),
]


def environment(fake: FakeProviders) -> dict[str, str]:
    """The variables an operator sets for the four, the issuer on `fake`
    (for a process of the service's, too)."""
    return {**ENVIRONMENT, "OIDC_RP_ISSUER": fake.oidc_issuer}


def configure(monkeypatch: pytest.MonkeyPatch, fake: FakeProviders) -> dict:
    """Set the four providers' variables and point allauth at `fake`; the
    SOCIALACCOUNT_PROVIDERS the settings reader makes of them, for the
    caller to set (each caller restores settings its own way)."""
    fake.reset()
    for name, value in environment(fake).items():
        monkeypatch.setenv(name, value)
    for target, attribute, path in SERVER_URLS:
        monkeypatch.setattr(target, attribute, f"{fake.url}{path}")
    return readers.social_providers_from_env()


@contextmanager
def configured() -> Iterator[FakeProviders]:
    """All four providers on, answered by the running fakes, until the end
    of the block."""
    fake = running()
    with pytest.MonkeyPatch.context() as monkeypatch:
        providers = configure(monkeypatch, fake)
        with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
            yield fake


def trust(*provider_ids: str) -> None:
    """Mark providers trusted for email, as staff do in the admin."""
    for provider_id in provider_ids:
        ProviderPolicy.objects.update_or_create(
            provider=provider_id, defaults={"trusted_for_email": True}
        )


# --- Driving a sign-in through Django's test client ------------------------------

LOGIN_PATHS = {
    "kakao": "/accounts/kakao/login/",
    "naver": "/accounts/naver/login/",
    "google": "/accounts/google/login/",
    "oidc": "/accounts/oidc/oidc/login/",
}
ENVIRONMENT = {
    "KAKAO_CLIENT_ID": "kakao-client",
    "KAKAO_CLIENT_SECRET": "kakao-secret",
    "NAVER_CLIENT_ID": "naver-client",
    "NAVER_CLIENT_SECRET": "naver-secret",
    "GOOGLE_CLIENT_ID": "google-client.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "google-secret",
    "OIDC_RP_CLIENT_ID": "acme-client",
    "OIDC_RP_CLIENT_SECRET": "acme-secret",
    "OIDC_RP_NAME": "Acme ID",
}


def callback_path(provider: str) -> str:
    return f"{LOGIN_PATHS[provider]}callback/"


def start(browser, provider: str, process: str = "login", **params: str):
    """Press the provider's button: the redirect to its sign-in page."""
    query = "&".join(f"{k}={v}" for k, v in {"process": process, **params}.items())
    return browser.post(f"{LOGIN_PATHS[provider]}?{query}")


def come_back(browser, provider: str, redirect) -> Any:
    """The provider sends the browser back with a code and the state."""
    assert redirect.status_code == 302, redirect.status_code
    state = parse_qs(urlsplit(redirect["Location"]).query)["state"][0]
    return browser.get(
        callback_path(provider), {"code": "code-from-provider", "state": state}
    )


def sign_in_with(browser, provider: str, process: str = "login", **params: str):
    """The whole round trip: the service's answer to the callback."""
    return come_back(browser, provider, start(browser, provider, process, **params))
