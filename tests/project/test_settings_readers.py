"""The functions the settings read complex values with (project/settings/readers.py)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ImproperlyConfigured

from project.settings import readers


def pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://accounts.example.com", "https://accounts.example.com"),
        ("https://accounts.example.com/", "https://accounts.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("", ""),
    ],
)
def test_public_url_is_an_origin(monkeypatch, value, origin):
    monkeypatch.setenv("DJANGO_PUBLIC_URL", value)
    assert readers.public_url_from_env() == origin


@pytest.mark.parametrize(
    "value",
    [
        "accounts.example.com",
        "https://accounts.example.com/accounts",
        "https://accounts.example.com?x=1",
        "ftp://accounts.example.com",
        "https://accounts.example.com:port",
    ],
)
def test_a_public_url_that_is_not_an_origin_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("DJANGO_PUBLIC_URL", value)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_PUBLIC_URL"):
        readers.public_url_from_env()


def test_every_request_is_one_transaction_on_a_health_checked_connection(
    monkeypatch,
):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example.com:5433/accounts")
    monkeypatch.setenv("DJANGO_CONN_MAX_AGE", "30")

    config = readers.database_from_env()["default"]

    assert config["NAME"] == "accounts"
    assert config["HOST"] == "db.example.com"
    assert config["ATOMIC_REQUESTS"] is True
    assert config["CONN_MAX_AGE"] == 30
    assert config["CONN_HEALTH_CHECKS"] is True


def test_an_smtp_email_url_becomes_the_default_mailers_options(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp+tls://user:secret@smtp.example.com:587")
    monkeypatch.setenv("EMAIL_TIMEOUT", "7")

    mailer = readers.mailers_from_env()["default"]

    assert mailer["BACKEND"] == "mail.backends.SMTPBackend"  # Django's, with DKIM
    assert mailer["OPTIONS"] == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "user",
        "password": "secret",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 7,
    }


def test_a_console_email_url_has_no_smtp_options(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "consolemail://")
    mailer = readers.mailers_from_env()["default"]
    assert mailer == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend",
        "OPTIONS": {},
    }


def test_a_jwt_key_is_read_from_its_pem_or_a_path(monkeypatch, tmp_path):
    key = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    path = tmp_path / "jwt.pem"
    path.write_text(key)

    monkeypatch.setenv("JWT_PRIVATE_KEY", key.replace("\n", "\\n"))
    assert readers.jwt_private_key_from_env() == key
    monkeypatch.setenv("JWT_PRIVATE_KEY", str(path))
    assert readers.jwt_private_key_from_env() == key


def test_without_a_jwt_key_there_is_none_unless_one_may_be_made(monkeypatch, tmp_path):
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    assert readers.jwt_private_key_from_env() is None

    made = readers.jwt_private_key_from_env(tmp_path / "dev.pem")
    assert made == (tmp_path / "dev.pem").read_text()
    assert readers.jwt_private_key_from_env(tmp_path / "dev.pem") == made
    assert (tmp_path / "dev.pem").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/no/such/file.pem", "cannot read"),
        ("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----", "PEM"),
        (
            pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505
            "2048 bits",
        ),
        (pem(ec.generate_private_key(ec.SECP256R1())), "RSA key"),
    ],
    ids=["missing-file", "garbage", "short-rsa", "not-rsa"],
)
def test_an_unusable_jwt_key_stops_the_start(monkeypatch, value, message):
    monkeypatch.setenv("JWT_PRIVATE_KEY", value)
    with pytest.raises(ImproperlyConfigured, match=message):
        readers.jwt_private_key_from_env()


def test_front_end_urls_map_allauths_names_to_templates(monkeypatch):
    urls = '{"account_confirm_email": "https://app.example.com/verify/{key}"}'
    monkeypatch.setenv("HEADLESS_FRONTEND_URLS", urls)
    assert readers.frontend_urls_from_env() == {
        "account_confirm_email": "https://app.example.com/verify/{key}"
    }


@pytest.mark.parametrize(
    "value",
    [
        '["not", "an", "object"]',
        '{"account_confirm_email": "https://x/no-key"}',
        '{"nonsense": "https://x/"}',
    ],
    ids=["not-an-object", "missing-key-placeholder", "unknown-name"],
)
def test_bad_front_end_urls_stop_the_start(monkeypatch, value):
    monkeypatch.setenv("HEADLESS_FRONTEND_URLS", value)
    with pytest.raises(ImproperlyConfigured):
        readers.frontend_urls_from_env()


@pytest.mark.parametrize(
    "key",
    ["short-key", "django-insecure-" + "x" * 60, "a" * 60],
    ids=["short", "insecure", "repetitive"],
)
def test_a_weak_secret_key_stops_the_start(monkeypatch, key):
    monkeypatch.setenv("DJANGO_SECRET_KEY", key)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        readers.secret_key_from_env()


def test_a_missing_required_variable_is_named(monkeypatch):
    monkeypatch.setenv("PRESENT", "yes")
    monkeypatch.delenv("ABSENT", raising=False)
    with pytest.raises(readers.SettingError, match=r"^ABSENT: is not set\.$"):
        readers.require_env("PRESENT", "ABSENT")


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("DATABASE_URL", "mysql://db/accounts", "is not a PostgreSQL URL"),
        ("DATABASE_URL", "garbage", "is not a PostgreSQL URL"),
        ("DATABASE_URL", "postgres://u@h:port/db", "could not be cast"),
        ("DATABASE_URL", "postgres://u@h:5432/", "names no database"),
    ],
)
def test_a_bad_database_url_is_named_with_an_example(monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)

    with pytest.raises(readers.SettingError) as raised:
        readers.database_from_env()

    message = str(raised.value)
    assert message.startswith(f"{name}: ")
    assert said in message
    assert "For example: DATABASE_URL=postgres://" in message
    assert "\n" not in message


def test_a_password_in_a_bad_url_is_never_repeated(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://user:hunter2@db/accounts")

    with pytest.raises(readers.SettingError) as raised:
        readers.database_from_env()

    assert "hunter2" not in str(raised.value)
    assert "user:***@db" in str(raised.value)


@pytest.mark.parametrize(
    "value",
    ["redis//127.0.0.1", "http://127.0.0.1:6379", "redis://h:port/0", "redis://h/x"],
)
def test_a_bad_redis_url_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("REDIS_URL", value)

    with pytest.raises(readers.SettingError, match=r"REDIS_URL: .* is not a Redis URL"):
        readers.redis_url_from_env("REDIS_URL")


@pytest.mark.parametrize(
    "value", ["redis://cache.internal/0", "rediss://:pw@cache.example.com/1", ""]
)
def test_a_good_redis_url_passes(monkeypatch, value):
    monkeypatch.setenv("REDIS_URL", value)
    assert readers.redis_url_from_env("REDIS_URL") == value


@pytest.mark.parametrize("value", ["smtp://h:port", "carrier-pigeon://x", "smtp://"])
def test_a_bad_email_url_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("EMAIL_URL", value)

    with pytest.raises(readers.SettingError, match=r"^EMAIL_URL: "):
        readers.mailers_from_env()


@pytest.mark.parametrize(
    ("cast", "value", "said"),
    [
        ("int", "five", "is not a whole number"),
        ("float", "soon", "is not a number"),
        ("bool", "maybe", "is not true or false"),
    ],
)
def test_a_value_of_the_wrong_kind_is_named(monkeypatch, cast, value, said):
    monkeypatch.setenv("SOME_SETTING", value)

    with pytest.raises(readers.SettingError, match=f"^SOME_SETTING: '{value}' {said}"):
        getattr(readers.env, cast)("SOME_SETTING", default=1)


def test_an_empty_value_is_the_default(monkeypatch):
    monkeypatch.setenv("SOME_SETTING", "")

    assert readers.env.int("SOME_SETTING", default=7) == 7
    assert readers.env.bool("SOME_SETTING", default=True) is True
    assert readers.env.str("SOME_SETTING", default="x") == "x"


@pytest.mark.parametrize(("value", "expected"), [("TRUE", True), ("off", False)])
def test_booleans_are_read_in_any_case(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_SETTING", value)
    assert readers.env.bool("SOME_SETTING", default=not expected) is expected


@pytest.mark.parametrize("value", ["nobody", "@example.com", "Name <>"])
def test_a_from_address_must_be_an_address(monkeypatch, value):
    monkeypatch.setenv("DEFAULT_FROM_EMAIL", value)

    with pytest.raises(readers.SettingError, match=r"^DEFAULT_FROM_EMAIL: "):
        readers.from_email_from_env(default="a@example.com")


def test_allowed_hosts_are_names_not_urls(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "accounts.example.com,https://x.com")

    with pytest.raises(readers.SettingError, match=r"^DJANGO_ALLOWED_HOSTS: 'https"):
        readers.allowed_hosts_from_env()


def test_networks_are_addresses_or_cidr(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_IPS", "127.0.0.1, 10.0.0.0/8,::1")
    assert [str(n) for n in readers.networks_from_env("METRICS_ALLOWED_IPS", [])] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    monkeypatch.setenv("METRICS_ALLOWED_IPS", "localhost")
    with pytest.raises(
        readers.SettingError, match=r"^METRICS_ALLOWED_IPS: 'localhost'"
    ):
        readers.networks_from_env("METRICS_ALLOWED_IPS", [])


def test_the_log_format_is_a_choice(monkeypatch):
    monkeypatch.setenv("DJANGO_LOG_FORMAT", "JSON")
    assert readers.env.choice("DJANGO_LOG_FORMAT", ("plain", "json"), "plain") == "json"
    monkeypatch.setenv("DJANGO_LOG_FORMAT", "xml")
    with pytest.raises(readers.SettingError, match="is not one of plain, json"):
        readers.env.choice("DJANGO_LOG_FORMAT", ("plain", "json"), "plain")


def test_anymail_esp_sends_through_that_providers_backend(monkeypatch):
    monkeypatch.setenv("ANYMAIL_ESP", "Postmark")
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "token")
    monkeypatch.setenv("EMAIL_URL", "smtp://ignored.example.com")

    mailer = readers.mailers_from_env()["default"]

    assert mailer["BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert readers.anymail_from_env()["POSTMARK_SERVER_TOKEN"] == "token"


def test_an_unknown_provider_stops_the_start(monkeypatch):
    monkeypatch.setenv("ANYMAIL_ESP", "pigeon")
    with pytest.raises(readers.SettingError, match="ANYMAIL_ESP: 'pigeon' is not one"):
        readers.mailers_from_env()


def test_a_provider_without_its_credentials_stops_the_start(monkeypatch):
    monkeypatch.setenv("ANYMAIL_ESP", "mailgun")
    monkeypatch.setenv("MAILGUN_API_KEY", "key")
    with pytest.raises(readers.SettingError, match="MAILGUN_SENDER_DOMAIN: is not set"):
        readers.anymail_from_env()


@pytest.mark.parametrize(
    ("esp", "setting"),
    [("postmark", "POSTMARK_API_URL"), ("mailgun", "MAILGUN_API_URL")],
)
def test_the_api_url_overrides_the_providers_own(monkeypatch, esp, setting):
    monkeypatch.setenv("ANYMAIL_ESP", esp)
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "t")
    monkeypatch.setenv("MAILGUN_API_KEY", "k")
    monkeypatch.setenv("MAILGUN_SENDER_DOMAIN", "mg.example.com")
    monkeypatch.setenv("ANYMAIL_API_URL", "https://api.eu.example.com/v3")

    assert readers.anymail_from_env()[setting] == "https://api.eu.example.com/v3"


def test_for_amazon_ses_the_api_url_is_the_clients_endpoint(monkeypatch):
    monkeypatch.setenv("ANYMAIL_ESP", "amazon_ses")
    monkeypatch.setenv("ANYMAIL_API_URL", "https://email.eu-central-1.amazonaws.com")
    monkeypatch.setenv("EMAIL_TIMEOUT", "9")

    client = readers.anymail_from_env()["AMAZON_SES_CLIENT_PARAMS"]

    assert client["endpoint_url"] == "https://email.eu-central-1.amazonaws.com"
    # The outbox retries; boto3 must not, and waits at most EMAIL_TIMEOUT.
    assert client["config"] == {
        "connect_timeout": 9,
        "read_timeout": 9,
        "retries": {"total_max_attempts": 1},
    }


@pytest.mark.parametrize("value", ["nocolon", ":password", "user:"])
def test_a_webhook_secret_must_be_user_and_password(monkeypatch, value):
    monkeypatch.setenv("ANYMAIL_WEBHOOK_SECRET", value)
    with pytest.raises(readers.SettingError, match="ANYMAIL_WEBHOOK_SECRET"):
        readers.anymail_from_env()


def test_a_dkim_key_must_be_an_rsa_private_key(monkeypatch, tmp_path):
    monkeypatch.setenv("DKIM_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nnope\n")
    with pytest.raises(readers.SettingError, match="DKIM_PRIVATE_KEY"):
        readers.dkim_key_from_env()
