"""Every email we send, in English and in Korean, read back by a parser from
a real SMTP server: the headers receivers judge us by, and one set of links
in both parts."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.core.context import request_context
from django.db import transaction
from django.template.loader import get_template
from django.test import RequestFactory
from django.utils import timezone

from mail import outbox
from mail.models import OutgoingEmail
from tests.support.factories import UserFactory
from tests.support.processes import ROOT

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_session_worker"),
]

ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
# Features we do not use: reset by code, social accounts.
NOT_SENT = {"account/email/password_reset_code"}


def templates_we_send() -> list[str]:
    """Every email template of ours and of the allauth apps we install."""
    prefixes = set()
    for root in (ROOT / "templates", ALLAUTH_TEMPLATES):
        for subject in root.glob("*/email/*_subject.txt"):
            app = subject.parent.parent.name
            if app == "socialaccount":
                continue
            prefixes.add(f"{app}/email/{subject.name.removesuffix('_subject.txt')}")
    return sorted(prefixes - NOT_SENT)


TEMPLATES = templates_we_send()
URL = "https://accounts.example.com"
CONTEXT = {
    "activate_url": f"{URL}/accounts/confirm-email/KEY/",
    "password_reset_url": f"{URL}/accounts/password/reset/key/1-KEY/",
    "signup_url": f"{URL}/accounts/signup/",
    "sessions_url": f"{URL}/accounts/sessions/",
    "code": "ABC123",
    "claimed_email": "claimed@example.com",
    "from_email": "old@example.com",
    "to_email": "new@example.com",
    "deleted_email": "gone@example.com",
}


@pytest.fixture
def smtp(mailbox, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "mail.backends.SMTPBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": mailbox.port, "timeout": 5},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "accounts@example.com"
    settings.SITE_NAME = "Example Accounts"
    settings.PUBLIC_URL = URL
    return mailbox


def context_for(prefix: str, user) -> dict:
    """What the sender of `prefix` passes: the variables its text uses."""
    source = get_template(f"{prefix}_message.txt").template.source  # type: ignore[attr-defined]
    context = {"user": user} | {k: v for k, v in CONTEXT.items() if k in source}
    if "code" not in prefix:
        context.pop("code", None)  # we verify by link, not by code
    return context


def send(prefix: str, language: str):
    user = UserFactory.create(language=language)
    request = RequestFactory().get("/")
    request.user = user
    with request_context(request), transaction.atomic():
        get_adapter(request).send_mail(prefix, user.email, context_for(prefix, user))
    row = OutgoingEmail.objects.get(to=user.email)
    OutgoingEmail.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    outbox.deliver(row.pk)
    return user


def test_there_are_emails_to_check():
    assert len(TEMPLATES) >= 20
    assert "account/email/email_confirmation_signup" in TEMPLATES
    assert "users/email/account_deleted" in TEMPLATES


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("prefix", TEMPLATES)
def test_every_email_we_send_is_well_formed(smtp, prefix, language):
    user = send(prefix, language)

    (received,) = smtp.wait_for(to=user.email)
    message = received.message
    # Message-ID on our domain, never the machine's host name.
    assert re.fullmatch(r"<[0-9a-f]{64}@accounts\.example\.com>", message["Message-ID"])
    date = parsedate_to_datetime(message["Date"])
    assert abs(date - timezone.now()) < timedelta(minutes=1)
    assert parseaddr(message["From"]) == ("Example Accounts", "accounts@example.com")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    # The same links in both parts.
    text, html = received.text, received.html or ""
    links = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert set(re.findall(r'href="(https?://[^"]+)"', html)) == links
    if language == "ko":
        assert re.search(r"[\uac00-\ud7a3]", str(message["Subject"]) + text)


def test_the_from_name_is_the_addresses_own_when_it_has_one(smtp, settings):
    settings.DEFAULT_FROM_EMAIL = "Acme Sign-in <signin@example.com>"

    user = send("users/email/account_deleted", "en")

    (received,) = smtp.wait_for(to=user.email)
    assert parseaddr(received.message["From"]) == ("Acme Sign-in", "signin@example.com")


def test_without_a_public_url_message_ids_are_on_the_from_domain(smtp, settings):
    settings.PUBLIC_URL = ""

    user = send("users/email/account_deleted", "en")

    (received,) = smtp.wait_for(to=user.email)
    assert received.message["Message-ID"].endswith("@example.com>")
    assert "localhost" not in received.message["Message-ID"]


def test_a_korean_site_name_is_encoded_in_the_from_header(smtp, settings):
    settings.SITE_NAME = "예시 계정"

    user = send("users/email/account_deleted", "ko")

    (received,) = smtp.wait_for(to=user.email)
    assert parseaddr(str(received.message["From"]))[0] == "예시 계정"
    assert received.data.isascii()  # encoded as RFC 2047, not raw UTF-8
