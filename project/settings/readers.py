"""The functions the settings files read complex values with.

Settings files hold assignments; everything that parses, checks or builds a
value from the environment lives here, with direct tests
(tests/project/test_settings_readers.py). A value that is set but unusable
stops the start with SettingError: one line naming the variable, what is
wrong, and an example of a good value. The entry points (manage.py,
project/wsgi.py, project/celery.py) print that line alone and exit 1.

An empty value (`NAME=` in an environment file) counts as unset: the
default applies.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

# A production secret key: at least this long, and not repetitive.
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_DISTINCT = 5
# JWT signing keys: RSA of at least this many bits.
MIN_RSA_BITS = 2048
# Longest value an error message repeats.
MAX_SHOWN = 200
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")

# A good value of each variable that has a shape, shown with its error.
EXAMPLES = {
    "DATABASE_URL": "postgres://accounts:PASSWORD@127.0.0.1:5432/accounts",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    "EMAIL_URL": "smtp+tls://USER:PASSWORD@smtp.example.com:587",
    "DEFAULT_FROM_EMAIL": "Accounts <accounts@example.com>",
    "DJANGO_ALLOWED_HOSTS": "accounts.example.com,www.accounts.example.com",
    "DJANGO_SECRET_KEY": (
        "$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    ),
    "DJANGO_PUBLIC_URL": "https://accounts.example.com",
    "HEADLESS_FRONTEND_URLS": (
        '{"account_confirm_email": "https://app.example.com/verify/{key}"}'
    ),
    "JWT_PRIVATE_KEY": "/etc/accounts/jwt.pem",
    "OIDC_PRIVATE_KEY": "/etc/accounts/oidc.pem",
    "CORS_ALLOWED_ORIGINS": "https://app.example.com",
    "OIDC_RP_ISSUER": "https://login.example.com",
    "METRICS_ALLOWED_IPS": "127.0.0.1,10.0.0.0/8",
}
# What a value cast to each type looks like, for the error message.
_KINDS: dict[Any, tuple[str, str]] = {
    int: ("a whole number", "300"),
    float: ("a number", "2.5"),
    bool: ("true or false", "true"),
    list: ("a comma-separated list", "a,b"),
    dict: ("a JSON object", "{}"),
}


class SettingError(ImproperlyConfigured):
    """A variable that is missing or unusable, said in one line."""

    def __init__(self, name: str, problem: str, example: str | None = None) -> None:
        example = example or EXAMPLES.get(name)
        text = f"{name}: {problem}"
        if example:
            text += f" For example: {name}={example}"
        self.name = name
        super().__init__(text)


def masked(value: str) -> str:
    """`value` fit to print: a URL's password replaced by ***, and anything
    very long cut short."""
    with contextlib.suppress(ValueError):
        parts = urlsplit(value)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            value = parts._replace(netloc=netloc).geturl()
    if len(value) > MAX_SHOWN:
        value = value[:MAX_SHOWN] + "..."
    return repr(value)


class Env(environ.Env):
    """django-environ, strict: a value that cannot be used is a SettingError
    naming the variable, never a traceback from deep inside a parser, and an
    empty value is the default."""

    def get_value(
        self,
        var,
        cast=None,
        default=environ.Env.NOTSET,
        parse_default=False,  # noqa: FBT002 (django-environ's signature)
    ):
        raw = self.ENVIRON.get(var)
        if raw is not None and not raw.strip() and default is not self.NOTSET:
            return self.parse_value(default, cast) if parse_default else default
        try:
            return super().get_value(var, cast, default, parse_default)
        except SettingError:
            raise
        except ImproperlyConfigured as exc:
            raise SettingError(var, "is not set.") from exc
        except (ValueError, TypeError, KeyError) as exc:
            kind, example = _KINDS.get(cast, ("usable", ""))
            raise SettingError(
                var, f"{masked(raw or '')} is not {kind}.", example or None
            ) from exc

    def bool(self, var, default=environ.Env.NOTSET):
        raw = self.ENVIRON.get(var, "").strip().lower()
        if not raw:
            if default is self.NOTSET:
                raise SettingError(var, "is not set.", "true")
            return default
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise SettingError(var, f"{masked(raw)} is not true or false.", "true")

    def choice(self, var: str, choices: tuple[str, ...], default: str) -> str:
        """One of `choices` (compared without regard to case)."""
        value = self.str(var, default=default).strip()
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
        raise SettingError(
            var, f"{masked(value)} is not one of {', '.join(choices)}.", choices[0]
        )


env = Env()


def require_env(*names: str) -> None:
    """Stop the start unless every variable in `names` is set."""
    for name in names:
        if not env(name, default=""):
            raise SettingError(name, "is not set.")


def secret_key_from_env() -> str:
    """DJANGO_SECRET_KEY, refused when short, repetitive or Django's insecure
    placeholder."""
    key = env("DJANGO_SECRET_KEY")
    if (
        len(key) < MIN_SECRET_KEY_LENGTH
        or len(set(key)) < MIN_SECRET_KEY_DISTINCT
        or key.startswith("django-insecure-")
    ):
        raise SettingError(
            "DJANGO_SECRET_KEY",
            "must be a random value of at least 50 characters, not Django's "
            "insecure placeholder.",
        )
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
        raise SettingError(
            "DJANGO_PUBLIC_URL",
            f"{masked(value)} is not an origin (a scheme and a host, no path).",
        )
    return value


DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")


def database_from_env(default: str | None = None) -> dict[str, dict[str, Any]]:
    """The default database from DATABASE_URL, with the options every site uses.

    https://docs.djangoproject.com/en/6.1/ref/settings/#databases
    """
    url = env.str("DATABASE_URL", default=default)
    scheme = urlsplit(url).scheme
    if scheme not in DATABASE_SCHEMES:
        raise SettingError(
            "DATABASE_URL",
            f"{masked(url)} is not a PostgreSQL URL (postgres://...).",
        )
    try:
        config = environ.Env.db_url_config(url)
    except ValueError as exc:  # a port that is no number, and the like
        raise SettingError("DATABASE_URL", f"{masked(url)}: {exc}.") from exc
    if scheme != "sqlite" and not config.get("NAME"):
        raise SettingError("DATABASE_URL", f"{masked(url)} names no database.")
    # Every request runs in one transaction: a failure anywhere in a signup
    # leaves no half-created account, and outgoing mail commits with it.
    config["ATOMIC_REQUESTS"] = True
    config["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    if scheme != "sqlite":
        # An unreachable server fails a request in seconds, not minutes.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return {"default": config}


REDIS_SCHEMES = ("redis", "rediss", "unix")


def redis_url_from_env(name: str, default: str = "") -> str:
    """A Redis URL (redis://, rediss:// or unix://), or `default` when unset."""
    url = env.str(name, default=default)
    if url and not _is_redis_url(url):
        raise SettingError(name, f"{masked(url)} is not a Redis URL.")
    return url


def _is_redis_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return bool(parts.path)
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return False
    database = parts.path.strip("/")
    return (
        parts.scheme in REDIS_SCHEMES
        and bool(parts.hostname)
        and (not database or database.isdigit())
    )


def broker_url_from_env(default: str) -> str:
    """CELERY_BROKER_URL: a Redis URL, or Celery's filesystem:// and
    memory:// (./dev run and tests). Unset, `default` (REDIS_URL)."""
    url = env.str("CELERY_BROKER_URL", default=default)
    if urlsplit(url).scheme in ("filesystem", "memory") or not url:
        return url
    if not _is_redis_url(url):
        raise SettingError("CELERY_BROKER_URL", f"{masked(url)} is not a Redis URL.")
    return url


def allowed_hosts_from_env() -> list[str]:
    """DJANGO_ALLOWED_HOSTS: host names, not URLs."""
    hosts = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    for host in hosts:
        if "/" in host or " " in host:
            raise SettingError(
                "DJANGO_ALLOWED_HOSTS",
                f"{masked(host)} is a URL or has spaces; list host names only.",
            )
    return hosts


def networks_from_env(
    name: str, default: list[str]
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of addresses and networks (CIDR)."""
    networks = []
    for item in env.list(name, default=default):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise SettingError(
                name, f"{masked(item)} is not an IP address or network."
            ) from exc
    return networks


def from_email_from_env(default: str) -> str:
    """DEFAULT_FROM_EMAIL: an address, with a display name or without."""
    value = env.str("DEFAULT_FROM_EMAIL", default=default)
    _name, address = parseaddr(value)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise SettingError("DEFAULT_FROM_EMAIL", f"{masked(value)} is no address.")
    return value


def mailers_from_env(default: str | None = None) -> dict[str, dict[str, Any]]:
    """MAILERS: an email service provider's API when ANYMAIL_ESP names one,
    else the SMTP server of EMAIL_URL, in django-environ's `email_url` syntax.

    smtp://host:port, smtp+tls://user:password@host:587 (STARTTLS),
    smtp+ssl://user:password@host:465, or consolemail:// for the console.
    Mail sent by SMTP is DKIM-signed when DKIM_PRIVATE_KEY and DKIM_SELECTOR
    are set (mail/backends.py).
    """
    esp = esp_from_env()
    if esp:
        backend = f"anymail.backends.{esp}.EmailBackend"
        return {"default": {"BACKEND": backend, "OPTIONS": {}}}
    url = env.str("EMAIL_URL", default=default)
    try:
        config = environ.Env.email_url_config(url)
    except (ImproperlyConfigured, ValueError, KeyError) as exc:
        raise SettingError(
            "EMAIL_URL",
            f"{masked(url)} is not a mail server URL "
            "(smtp://, smtp+tls://, smtp+ssl:// or consolemail://).",
        ) from exc
    if config["EMAIL_BACKEND"].endswith("smtp.EmailBackend") and not config.get(
        "EMAIL_HOST"
    ):
        raise SettingError("EMAIL_URL", f"{masked(url)} names no host.")
    options = {}
    backend = config["EMAIL_BACKEND"]
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        backend = "mail.backends.SMTPBackend"  # Django's, signing with DKIM
        options = {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"],
            "password": config["EMAIL_HOST_PASSWORD"],
            "use_tls": config.get("EMAIL_USE_TLS", False),
            "use_ssl": config.get("EMAIL_USE_SSL", False),
            "timeout": env.int("EMAIL_TIMEOUT", default=30),
        }
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


# Email service providers (django-anymail) that mail/ sends through and takes
# bounces and complaints from.
ESPS = ("amazon_ses", "postmark", "mailgun", "sendgrid")
# Each provider's credentials, under anymail's own setting names, read from
# variables of the same names. Amazon SES takes boto3's AWS_* variables.
ESP_SETTINGS = (
    "POSTMARK_SERVER_TOKEN",
    "MAILGUN_API_KEY",
    "MAILGUN_SENDER_DOMAIN",
    "MAILGUN_WEBHOOK_SIGNING_KEY",
    "SENDGRID_API_KEY",
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
)
# What sending through each provider cannot do without.
ESP_REQUIRED = {
    "postmark": ("POSTMARK_SERVER_TOKEN",),
    "mailgun": ("MAILGUN_API_KEY", "MAILGUN_SENDER_DOMAIN"),
    "sendgrid": ("SENDGRID_API_KEY",),
    "amazon_ses": (),
}


def esp_from_env() -> str:
    """ANYMAIL_ESP: one of ESPS, or "" to send by SMTP (EMAIL_URL)."""
    value = env.str("ANYMAIL_ESP", default="").strip().lower()
    if value and value not in ESPS:
        raise SettingError(
            "ANYMAIL_ESP",
            f"{masked(value)} is not one of {', '.join(ESPS)}, or unset for SMTP.",
            "postmark",
        )
    return value


def anymail_from_env() -> dict[str, Any]:
    """ANYMAIL, django-anymail's settings: credentials, the API URL override
    (ANYMAIL_API_URL), the webhooks' basic-auth secret, and timeouts.

    The outbox retries failed sends itself, so neither requests nor boto3
    retry inside one attempt, and each attempt waits at most EMAIL_TIMEOUT.
    """
    esp = esp_from_env()
    anymail: dict[str, Any] = {}
    for name in ESP_SETTINGS:
        if value := env.str(name, default="").strip():
            anymail[name] = value
    for name in ESP_REQUIRED.get(esp, ()):
        if name not in anymail:
            raise SettingError(name, f"is not set, and ANYMAIL_ESP is {esp}.")
    if secret := webhook_secret_from_env():
        anymail["WEBHOOK_SECRET"] = secret
    timeout = env.int("EMAIL_TIMEOUT", default=30)
    anymail["REQUESTS_TIMEOUT"] = timeout
    client: dict[str, Any] = {
        "config": {
            "connect_timeout": timeout,
            "read_timeout": timeout,
            "retries": {"total_max_attempts": 1},
        }
    }
    api_url = env.str("ANYMAIL_API_URL", default="").strip()
    if api_url:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingError(
                "ANYMAIL_API_URL",
                f"{masked(api_url)} is not an http(s) URL.",
                "https://api.eu.mailgun.net/v3",
            )
        if esp == "amazon_ses":
            client["endpoint_url"] = api_url
        elif esp:
            anymail[f"{esp.upper()}_API_URL"] = api_url
    anymail["AMAZON_SES_CLIENT_PARAMS"] = client
    return anymail


def webhook_secret_from_env() -> str:
    """ANYMAIL_WEBHOOK_SECRET: the basic-auth user:password of the webhooks."""
    secret = env.str("ANYMAIL_WEBHOOK_SECRET", default="")
    user, _, password = secret.partition(":")
    if secret and (not user or not password):
        raise SettingError(
            "ANYMAIL_WEBHOOK_SECRET",
            "must be user:password.",
            "webhooks:$(openssl rand -hex 24)",
        )
    return secret


def rsa_private_key_from_env(
    name: str, generate_into: Path | None = None, min_bits: int = MIN_RSA_BITS
) -> str | None:
    """An RSA signing key of `min_bits` or more: the variable `name`, either a
    PEM or a path to one.

    With `generate_into` and no key set, a throwaway key is made there once
    and shared by every process that starts later (dev and tests only).
    Without either, None. A key that is set but unusable stops the start.
    """
    value = env(name, default="")
    if value.lstrip().startswith("-----BEGIN"):
        pem = value.replace("\\n", "\n")  # one-line form, as in .env files
    elif value:
        try:
            pem = Path(value).read_text()
        except OSError as exc:
            raise SettingError(
                name, f"cannot read the file {masked(value)} ({exc.strerror})."
            ) from exc
    elif generate_into is not None:
        if not generate_into.exists():
            _write_new_rsa_key(generate_into)
        pem = generate_into.read_text()
    else:
        return None
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise SettingError(name, "is not an unencrypted PEM private key.") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < min_bits:
        raise SettingError(name, f"must be an RSA key of {min_bits} bits or more.")
    return pem


def jwt_private_key_from_env(generate_into: Path | None = None) -> str | None:
    """The RS256 key the app client signs its JWTs with: JWT_PRIVATE_KEY."""
    return rsa_private_key_from_env("JWT_PRIVATE_KEY", generate_into)


def oidc_private_key_from_env(generate_into: Path | None = None) -> str:
    """The RS256 key the OpenID Connect provider signs ID tokens with:
    OIDC_PRIVATE_KEY. Empty when unset: the provider is then off."""
    return rsa_private_key_from_env("OIDC_PRIVATE_KEY", generate_into) or ""


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
    name = "HEADLESS_FRONTEND_URLS"
    try:
        urls = env.json(name, default={})
    except SettingError as exc:
        raise SettingError(name, "is not valid JSON.") from exc
    if not isinstance(urls, dict):
        raise SettingError(name, "must be a JSON object.")
    for url_name, template in urls.items():
        if url_name not in FRONTEND_URL_NAMES:
            raise SettingError(
                name,
                f"unknown name {url_name!r}; use one of {sorted(FRONTEND_URL_NAMES)}.",
            )
        placeholder = FRONTEND_URL_NAMES[url_name]
        if not isinstance(template, str) or placeholder not in template:
            raise SettingError(
                name,
                f"the URL for {url_name!r} must contain "
                f"{placeholder or 'nothing in particular'!r}.",
            )
    return urls


# DKIM keys: RSA of at least this many bits (RFC 8301).
MIN_DKIM_RSA_BITS = 1024


def dkim_key_from_env() -> str:
    """DKIM_PRIVATE_KEY, the PEM itself or a path to it; "" when unset. Only
    with DKIM_SELECTOR too does mail sent by SMTP get signed."""
    return (
        rsa_private_key_from_env("DKIM_PRIVATE_KEY", min_bits=MIN_DKIM_RSA_BITS) or ""
    )


def _client_from_env(prefix: str) -> tuple[str, str] | None:
    """PREFIX_CLIENT_ID and PREFIX_CLIENT_SECRET: both, or neither."""
    client_id = env(f"{prefix}_CLIENT_ID", default="").strip()
    secret = env(f"{prefix}_CLIENT_SECRET", default="").strip()
    if not client_id and not secret:
        return None
    if not client_id or not secret:
        missing = f"{prefix}_CLIENT_ID" if not client_id else f"{prefix}_CLIENT_SECRET"
        raise SettingError(
            missing,
            f"is not set, but {prefix.title()} sign-in needs both "
            f"{prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET.",
        )
    return client_id, secret


def social_providers_from_env() -> dict[str, dict[str, Any]]:
    """SOCIALACCOUNT_PROVIDERS: Kakao, Naver, Google and one OpenID Connect
    provider, each only when its client id and secret are set.

    Each asks for the scope that returns the email address (Kakao asks for
    none unless told), and uses PKCE where the provider supports it.
    https://docs.allauth.org/en/latest/socialaccount/providers/index.html
    """
    providers: dict[str, dict[str, Any]] = {}
    wanted = {
        # https://developers.kakao.com/docs/latest/en/kakaologin/rest-api
        "kakao": ("KAKAO", {"scope": ["account_email", "profile_nickname"]}),
        # Naver's scopes are chosen in its developer console, not asked for.
        "naver": ("NAVER", {}),
        "google": (
            "GOOGLE",
            {"scope": ["openid", "email", "profile"], "oauth_pkce_enabled": True},
        ),
    }
    for provider, (prefix, app_settings) in wanted.items():
        if client := _client_from_env(prefix):
            client_id, secret = client
            providers[provider] = {
                "APPS": [
                    {"client_id": client_id, "secret": secret, "settings": app_settings}
                ]
            }
    issuer = env("OIDC_RP_ISSUER", default="").strip().rstrip("/")
    client_id = env("OIDC_RP_CLIENT_ID", default="").strip()
    if issuer or client_id:
        parts = urlsplit(issuer)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingError(
                "OIDC_RP_ISSUER",
                f"{masked(issuer)} is not an issuer URL (https://...).",
            )
        if not client_id:
            raise SettingError(
                "OIDC_RP_CLIENT_ID", "is not set, but OIDC_RP_ISSUER is.", "accounts"
            )
        name = env("OIDC_RP_NAME", default="").strip() or parts.hostname
        providers["openid_connect"] = {
            "APPS": [
                {
                    # Its callback is /accounts/oidc/oidc/login/callback/.
                    "provider_id": "oidc",
                    "name": name,
                    "client_id": client_id,
                    "secret": env("OIDC_RP_CLIENT_SECRET", default="").strip(),
                    "settings": {"server_url": issuer, "oauth_pkce_enabled": True},
                }
            ]
        }
    return providers
