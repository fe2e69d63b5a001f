"""The outbox through each email service provider's API (django-anymail),
against local stand-ins built from the providers' documentation
(tests/support/email_providers.py): what they receive, and which failures are
retried."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mail import outbox
from mail.models import OutgoingEmail
from project.settings import readers
from tests.support import email_providers as fake
from tests.support.flows import signup
from tests.support.processes import Worker, free_port, service_env, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_session_worker"),
]

Status = OutgoingEmail.Status
PROVIDERS = ["postmark", "mailgun", "sendgrid", "amazon_ses"]
CREDENTIALS = {
    "postmark": {"POSTMARK_SERVER_TOKEN": fake.POSTMARK_TOKEN},
    "mailgun": {
        "MAILGUN_API_KEY": fake.MAILGUN_KEY,
        "MAILGUN_SENDER_DOMAIN": fake.MAILGUN_DOMAIN,
    },
    "sendgrid": {"SENDGRID_API_KEY": fake.SENDGRID_KEY},
    "amazon_ses": {
        "AWS_ACCESS_KEY_ID": fake.AWS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": "fake-secret",
        "AWS_DEFAULT_REGION": "eu-west-1",
    },
}


@pytest.fixture(scope="session")
def fake_providers():
    server = fake.FakeProviders()
    yield server
    server.stop()


def use_provider(monkeypatch, settings, name: str, api_url: str) -> None:
    """Configure sending as the environment would: ANYMAIL_ESP and friends."""
    monkeypatch.setenv("ANYMAIL_ESP", name)
    monkeypatch.setenv("ANYMAIL_API_URL", api_url)
    monkeypatch.setenv("EMAIL_TIMEOUT", "5")
    for variable, value in CREDENTIALS[name].items():
        monkeypatch.setenv(variable, value)
    settings.ANYMAIL = readers.anymail_from_env()
    settings.MAILERS = readers.mailers_from_env()
    settings.DEFAULT_FROM_EMAIL = "accounts@example.com"
    settings.SITE_NAME = "Example Accounts"
    settings.PUBLIC_URL = "https://accounts.example.com"


@pytest.fixture(params=PROVIDERS)
def provider(request, monkeypatch, settings, fake_providers) -> str:
    fake_providers.reset()
    use_provider(
        monkeypatch, settings, request.param, fake_providers.api_url(request.param)
    )
    return request.param


def due_row(to: str = "someone@example.com") -> OutgoingEmail:
    return OutgoingEmail.objects.create(
        to=to,
        subject="Confirm your email",
        body_text="Your link:\nhttps://accounts.example.com/accounts/confirm-email/K/\n",
        body_html='<p><a href="https://accounts.example.com/accounts/confirm-email/K/">'
        "Confirm</a></p>",
        kind="verification",
        idempotency_key=uuid.uuid4().hex,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )


def test_the_provider_gets_our_headers_and_its_message_id_is_stored(
    provider, fake_providers
):
    row = due_row()

    outbox.deliver(row.pk)

    (sent,) = fake_providers.requests
    assert sent.provider == provider
    headers = sent.email_headers
    assert headers["message-id"] == f"<{row.idempotency_key}@accounts.example.com>"
    assert headers["auto-submitted"] == "auto-generated"
    assert abs(parsedate_to_datetime(headers["date"]) - timezone.now()) < timedelta(
        minutes=1
    )
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.provider_message_id == sent.message_id != ""
    assert row.message_id == headers["message-id"]


def test_the_provider_is_told_to_track_nothing(provider, fake_providers):
    outbox.deliver(due_row().pk)

    (sent,) = fake_providers.requests
    fields = sent.fields
    if provider == "postmark":
        assert (fields["TrackOpens"], fields["TrackLinks"]) == (False, "None")
    elif provider == "mailgun":
        assert fields["o:tracking-opens"] == fields["o:tracking-clicks"] == "no"
    elif provider == "sendgrid":
        tracking = fields["tracking_settings"]
        assert tracking["open_tracking"]["enable"] is False
        assert tracking["click_tracking"]["enable"] is False
    else:
        # SES has no per-message switch; its configuration set has no
        # tracking. The raw message carries nothing to rewrite links.
        assert sent.raw is not None
        assert "configuration" not in str(fields).lower()


def test_the_row_id_travels_as_metadata_for_the_webhooks(provider, fake_providers):
    row = due_row()

    outbox.deliver(row.pk)

    (sent,) = fake_providers.requests
    metadata = {
        "postmark": lambda: sent.fields["Metadata"],
        "mailgun": lambda: {"outbox_id": sent.fields["v:outbox_id"]},
        "sendgrid": lambda: sent.fields["custom_args"],
        "amazon_ses": lambda: json.loads(sent.email_headers["x-metadata"]),
    }[provider]()
    assert metadata["outbox_id"] == str(row.pk)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_temporary_answer_defers_the_row(provider, fake_providers, status):
    fake_providers.fail_next(status)
    row = due_row()

    outbox.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert row.body_text  # kept for the retry


def test_wrong_credentials_fail_the_row_at_once(provider, settings, fake_providers):
    wrong: dict[str, dict[str, Any]] = {
        "postmark": {"POSTMARK_SERVER_TOKEN": "wrong"},
        "mailgun": {"MAILGUN_API_KEY": "wrong"},
        "sendgrid": {"SENDGRID_API_KEY": "wrong"},
        "amazon_ses": {
            "AMAZON_SES_SESSION_PARAMS": {
                "aws_access_key_id": "WRONGKEY",
                "aws_secret_access_key": "wrong",
                "region_name": "eu-west-1",
            }
        },
    }
    settings.ANYMAIL = {**settings.ANYMAIL, **wrong[provider]}
    row = due_row()

    outbox.deliver(row.pk)

    assert fake_providers.requests[0].status in (401, 403)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert row.body_text == ""


def test_a_refused_message_fails_the_row_at_once(provider, fake_providers):
    # Postmark refuses a message with 422, the others with 400.
    status = 422 if provider == "postmark" else 400
    fake_providers.fail_next(status)
    row = due_row()

    outbox.deliver(row.pk)

    assert fake_providers.requests[0].status == status
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)


def test_an_unreachable_provider_defers_the_row(monkeypatch, settings, fake_providers):
    for name in PROVIDERS:
        closed = f"http://127.0.0.1:{free_port()}"
        use_provider(
            monkeypatch,
            settings,
            name,
            f"{closed}/v3" if name in ("mailgun", "sendgrid") else closed,
        )
        row = due_row(to=f"unreachable-{name}@example.com")

        outbox.deliver(row.pk)

        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.PENDING, 1), name


def test_a_sweep_stops_its_batch_while_the_provider_is_down(provider, fake_providers):
    fake_providers.fail_next(503, times=10)
    for n in range(4):
        due_row(to=f"batch{n}@example.com")

    result = outbox.sweep(budget=10)

    assert (result.sent, result.unsent) == (0, 1)
    assert len(fake_providers.requests) == 1


def test_a_provider_slower_than_the_timeout_defers_the_row(
    monkeypatch, settings, fake_providers
):
    for name in PROVIDERS:
        fake_providers.reset()
        use_provider(monkeypatch, settings, name, fake_providers.api_url(name))
        settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 1}
        client = settings.ANYMAIL["AMAZON_SES_CLIENT_PARAMS"]
        client["config"] |= {"connect_timeout": 1, "read_timeout": 1}
        fake_providers.delay = 2.5
        row = due_row(to=f"slow-{name}@example.com")

        outbox.deliver(row.pk)

        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.PENDING, 1), name
        assert row.body_text, name
        # The provider answers after all, to no one: let it finish.
        wait_until(lambda: len(fake_providers.requests) == 1, timeout=10)


def test_the_worker_sends_a_signup_through_the_provider_the_environment_names(
    fake_providers, artifacts
):
    """The whole path: the environment's ANYMAIL_ESP, a signup's outbox row,
    the real worker, the provider's API."""
    fake_providers.reset()
    worker = Worker(
        artifacts,
        service_env(
            ANYMAIL_ESP="postmark",
            POSTMARK_SERVER_TOKEN=fake.POSTMARK_TOKEN,
            ANYMAIL_API_URL=fake_providers.api_url("postmark"),
            DEFAULT_FROM_EMAIL="accounts@example.com",
            DJANGO_PUBLIC_URL="https://accounts.example.com",
        ),
        "--concurrency",
        "1",
    ).start()
    try:
        signup(Client(), "through-postmark@example.com")
        wait_until(
            OutgoingEmail.objects.filter(
                to="through-postmark@example.com", status=Status.SENT
            ).exists,
            timeout=30,
        )
    finally:
        worker.stop()

    (sent,) = fake_providers.requests
    assert sent.fields["To"] == "through-postmark@example.com"
    assert "/accounts/confirm-email/" in sent.fields["TextBody"]
    row = OutgoingEmail.objects.get(to="through-postmark@example.com")
    assert row.provider_message_id == sent.message_id
