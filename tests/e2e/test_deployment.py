"""The production interface: settings from the environment, the deploy check,
gunicorn over TLS and behind a TLS-terminating proxy, security headers."""

from __future__ import annotations

import http.client
import re
import secrets
import ssl
import subprocess
import sys
from http import HTTPStatus

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.urls import reverse

from tests.support.processes import ROOT, Web, database_url


@pytest.fixture
def production_env(django_db_setup) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "project.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        "EMAIL_URL": "smtp://127.0.0.1:1025",
        "DEFAULT_FROM_EMAIL": "accounts@example.com",
        "DJANGO_PUBLIC_URL": "https://accounts.example.com",
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_the_production_environment(production_env):
    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "DEFAULT_FROM_EMAIL",
    ],
)
def test_production_refuses_to_start_without_a_required_variable(
    production_env, missing
):
    del production_env[missing]
    result = manage(production_env, "check")
    assert result.returncode == 1
    # One line: the variable, what is wrong, and an example of a good value.
    assert result.stderr.startswith(f"Cannot start: {missing}: is not set.")
    assert f"For example: {missing}=" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_production_sends_through_a_provider_without_an_email_url(production_env):
    del production_env["EMAIL_URL"]
    production_env |= {"ANYMAIL_ESP": "postmark", "POSTMARK_SERVER_TOKEN": "token"}

    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_names_a_providers_missing_credential(production_env):
    production_env["ANYMAIL_ESP"] = "mailgun"
    production_env["MAILGUN_API_KEY"] = "key"

    result = manage(production_env, "check")

    assert result.returncode == 1
    assert result.stderr.startswith(
        "Cannot start: MAILGUN_SENDER_DOMAIN: is not set, and ANYMAIL_ESP is mailgun."
    )


@pytest.mark.parametrize(
    "key",
    ["short-key", "django-insecure-" + "x" * 60, "a" * 60],
    ids=["short", "insecure", "repetitive"],
)
def test_production_refuses_a_weak_secret_key(production_env, key):
    production_env["DJANGO_SECRET_KEY"] = key
    result = manage(production_env, "check")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Cannot start: DJANGO_SECRET_KEY: must be a random value"
    )
    assert key not in result.stderr


def test_production_without_a_jwt_key_runs_with_the_app_client_off(production_env):
    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "users.I001" in result.stdout + result.stderr


def test_production_with_a_jwt_key_file_turns_the_app_client_on(
    production_env, tmp_path
):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "jwt.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    production_env["JWT_PRIVATE_KEY"] = str(path)

    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "users.I001" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
        "/no/such/file.pem",
    ],
    ids=["garbage-pem", "missing-file"],
)
def test_production_refuses_an_unusable_jwt_key(production_env, value):
    production_env["JWT_PRIVATE_KEY"] = value

    result = manage(production_env, "check")

    assert result.returncode != 0
    assert "JWT_PRIVATE_KEY" in result.stderr


# Fetches the discovery document as a client of the production settings would.
DISCOVERY = (
    "from django.test import Client; "
    "r = Client().get('/.well-known/openid-configuration', secure=True, "
    "headers={'Host': 'localhost'}); "
    "print(r.status_code, r.json()['issuer'] if r.status_code == 200 else '')"
)


def rsa_key_file(path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_production_without_an_oidc_key_mounts_no_provider(db, production_env):
    check = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")
    result = manage(production_env, "shell", "-v", "0", "-c", DISCOVERY)

    assert check.returncode == 0, check.stderr
    assert "identity.I001" in check.stdout + check.stderr
    assert result.stdout.split() == ["404"], result.stderr


def test_production_with_an_oidc_key_serves_discovery_at_the_public_url(
    db, production_env, tmp_path
):
    production_env["OIDC_PRIVATE_KEY"] = str(rsa_key_file(tmp_path / "oidc.pem"))

    result = manage(production_env, "shell", "-v", "0", "-c", DISCOVERY)

    assert result.stdout.split() == ["200", "https://accounts.example.com"]


@pytest.mark.parametrize(
    "value",
    [
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
        "/no/such/file.pem",
    ],
    ids=["garbage-pem", "missing-file"],
)
def test_production_refuses_an_unusable_oidc_key(production_env, value):
    production_env["OIDC_PRIVATE_KEY"] = value

    result = manage(production_env, "check")

    assert result.returncode == 1
    assert result.stderr.startswith("Cannot start: OIDC_PRIVATE_KEY: ")


def test_env_example_documents_every_variable_the_settings_read():
    settings_source = "".join(
        path.read_text() for path in (ROOT / "project" / "settings").glob("*.py")
    )
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'_from_env\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'^    "([A-Z_]+)",$', settings_source, re.MULTILINE))
    documented = set(
        re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    assert read, "the pattern found no variables"
    assert read <= documented, f"undocumented: {sorted(read - documented)}"


def test_migrations_match_the_models():
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
    }
    result = manage(env, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def get(connection: http.client.HTTPConnection, path: str, headers=None):
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    return response


def test_gunicorn_over_tls_sends_hsts_and_secure_cookies(
    production_env, certificate, artifacts
):
    cert, key = certificate
    server = Web(
        artifacts, production_env, "--certfile", str(cert), "--keyfile", str(key)
    )
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    try:
        server.start()
        connection = http.client.HTTPSConnection(
            "127.0.0.1", server.port, context=context, timeout=10
        )
        response = get(connection, reverse("account_login"))
    finally:
        server.stop()

    assert response.status == HTTPStatus.OK
    assert "max-age=31536000" in response.getheader("Strict-Transport-Security")
    cookies = response.headers.get_all("Set-Cookie")
    csrf = next(c for c in cookies if c.startswith("csrftoken="))
    assert "Secure" in csrf


def test_plain_http_redirects_to_https_unless_behind_a_tls_proxy(
    production_env, artifacts
):
    direct = Web(artifacts, production_env)
    proxied = Web(artifacts, {**production_env, "DJANGO_BEHIND_TLS_PROXY": "true"})
    try:
        direct.start()
        proxied.start()
        redirected = get(
            http.client.HTTPConnection("127.0.0.1", direct.port, timeout=10),
            reverse("account_login"),
        )
        through_proxy = get(
            http.client.HTTPConnection("127.0.0.1", proxied.port, timeout=10),
            reverse("account_login"),
            {"X-Forwarded-Proto": "https"},
        )
    finally:
        direct.stop()
        proxied.stop()

    assert redirected.status == HTTPStatus.MOVED_PERMANENTLY
    assert redirected.getheader("Location").startswith("https://")
    assert through_proxy.status == HTTPStatus.OK
    assert "Secure" in through_proxy.getheader("Set-Cookie")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/signup/", "/admin/login/"]
)
def test_every_page_sends_the_security_headers(client, path):
    response = client.get(path)

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_session_cookie_is_http_only(client, user, password):
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert client.cookies["sessionid"]["httponly"]


def test_production_refuses_a_public_url_that_is_not_an_origin(production_env):
    production_env["DJANGO_PUBLIC_URL"] = "accounts.example.com"  # no scheme

    result = manage(production_env, "check")

    assert result.returncode == 1
    assert result.stderr.startswith(
        "Cannot start: DJANGO_PUBLIC_URL: 'accounts.example.com' is not an origin"
    )


def test_deploy_check_warns_without_a_public_url(production_env):
    del production_env["DJANGO_PUBLIC_URL"]

    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "users.W001" in result.stdout + result.stderr
