"""The functions the settings files read complex values with.

Settings files hold assignments; everything that parses, checks or builds a
value from the environment lives here, with direct tests
(tests/test_settings_readers.py). A value that is set but unusable stops the
start with ImproperlyConfigured, naming the variable.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()
# A production secret key: at least this long, and not repetitive.
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_DISTINCT = 5
# JWT signing keys: RSA of at least this many bits.
MIN_RSA_BITS = 2048


def require_env(*names: str) -> None:
    """Stop the start unless every variable in `names` is set."""
    for name in names:
        if not env(name, default=""):
            msg = f"Set the {name} environment variable."
            raise ImproperlyConfigured(msg)


def secret_key_from_env() -> str:
    """DJANGO_SECRET_KEY, refused when short, repetitive or Django's insecure
    placeholder."""
    key = env("DJANGO_SECRET_KEY")
    if (
        len(key) < MIN_SECRET_KEY_LENGTH
        or len(set(key)) < MIN_SECRET_KEY_DISTINCT
        or key.startswith("django-insecure-")
    ):
        msg = (
            "DJANGO_SECRET_KEY must be a random value of at least 50 characters, "
            "for example from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
        raise ImproperlyConfigured(msg)
    return key


def read_dot_env(path: Path) -> None:
    """Let a `.env` file beside the code add to the environment, when
    DJANGO_READ_DOT_ENV_FILE is true (`./dev run`); production and the tests
    take their environment as given."""
    if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
        env.read_env(path)


def public_url_from_env() -> str:
    """DJANGO_PUBLIC_URL, checked: a scheme and a host, nothing more."""
    value = env("DJANGO_PUBLIC_URL", default="").rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        parts = parts._replace(netloc="")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
    ):
        msg = (
            "DJANGO_PUBLIC_URL must be an origin such as "
            f"https://accounts.example.com, not {value!r}."
        )
        raise ImproperlyConfigured(msg)
    return value


def database_from_env(default: str | None = None) -> dict[str, dict[str, Any]]:
    """The default database from DATABASE_URL, with the options every site uses.

    https://docs.djangoproject.com/en/6.1/ref/settings/#databases
    """
    config = env.db("DATABASE_URL", default=default)
    # Every request runs in one transaction: a failure anywhere in a signup
    # leaves no half-created account, and outgoing mail commits with it.
    config["ATOMIC_REQUESTS"] = True
    config["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return {"default": config}


def mailers_from_env(default: str | None = None) -> dict[str, dict[str, Any]]:
    """MAILERS from EMAIL_URL, in django-environ's `email_url` syntax.

    smtp://host:port, smtp+tls://user:password@host:587 (STARTTLS),
    smtp+ssl://user:password@host:465, or consolemail:// for the console.
    """
    config = env.email_url("EMAIL_URL", default=default)
    options = {}
    if config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
        options = {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"],
            "password": config["EMAIL_HOST_PASSWORD"],
            "use_tls": config.get("EMAIL_USE_TLS", False),
            "use_ssl": config.get("EMAIL_USE_SSL", False),
            "timeout": env.int("EMAIL_TIMEOUT", default=30),
        }
    return {"default": {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": options}}


def jwt_private_key_from_env(generate_into: Path | None = None) -> str | None:
    """The RS256 signing key: JWT_PRIVATE_KEY, either a PEM or a path to one.

    With `generate_into` and no key set, a throwaway key is made there once
    and shared by every process that starts later (dev and tests only).
    Without either, None. A key that is set but unusable stops the start.
    """
    value = env("JWT_PRIVATE_KEY", default="")
    if value.lstrip().startswith("-----BEGIN"):
        pem = value.replace("\\n", "\n")  # one-line form, as in .env files
    elif value:
        try:
            pem = Path(value).read_text()
        except OSError as exc:
            msg = f"JWT_PRIVATE_KEY: cannot read {value}"
            raise ImproperlyConfigured(msg) from exc
    elif generate_into is not None:
        if not generate_into.exists():
            _write_new_rsa_key(generate_into)
        pem = generate_into.read_text()
    else:
        return None
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        msg = "JWT_PRIVATE_KEY is not an unencrypted PEM private key"
        raise ImproperlyConfigured(msg) from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        msg = "JWT_PRIVATE_KEY must be an RSA key of 2048 bits or more"
        raise ImproperlyConfigured(msg)
    return pem


def _write_new_rsa_key(path: Path) -> None:
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_suffix(f".{os.getpid()}.tmp")
    draft.write_bytes(pem)
    draft.chmod(0o600)
    try:
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)  # atomic; the first process to get here wins
    finally:
        draft.unlink()


FRONTEND_URL_NAMES = {
    "account_confirm_email": "{key}",
    "account_reset_password_from_key": "{key}",
    "account_reset_password": "",
    "account_signup": "",
}


def frontend_urls_from_env() -> dict[str, str]:
    """HEADLESS_FRONTEND_URLS: a JSON object from allauth's URL names to URL
    templates, each name known and each template with its placeholder."""
    urls = env.json("HEADLESS_FRONTEND_URLS", default={})
    if not isinstance(urls, dict):
        msg = "HEADLESS_FRONTEND_URLS must be a JSON object."
        raise ImproperlyConfigured(msg)
    for name, template in urls.items():
        if name not in FRONTEND_URL_NAMES:
            msg = (
                f"HEADLESS_FRONTEND_URLS: unknown name {name!r}; "
                f"use one of {sorted(FRONTEND_URL_NAMES)}"
            )
            raise ImproperlyConfigured(msg)
        placeholder = FRONTEND_URL_NAMES[name]
        if not isinstance(template, str) or placeholder not in template:
            msg = (
                f"HEADLESS_FRONTEND_URLS[{name!r}] must be a URL containing "
                f"{placeholder or 'nothing in particular'!r}"
            )
            raise ImproperlyConfigured(msg)
    return urls
