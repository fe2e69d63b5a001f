"""Account email: what kind each is, its language, and its HTML part.

Rendering happens in the adapter (users/adapter.py); the result goes to the
outbox (mail/) labelled with a kind from here.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import models
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from users.ownership import owner_of

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from django.http import HttpRequest

    from mail.models import OutgoingEmail


class Kind(models.TextChoices):
    """The `kind` of each account email in the outbox."""

    VERIFICATION = "verification", _("verification")
    PASSWORD_RESET = "password_reset", _("password reset")
    ACCOUNT_ALREADY_EXISTS = "account_already_exists", _("account already exists")
    UNKNOWN_ACCOUNT = "unknown_account", _("unknown account")
    NOTIFICATION = "notification", _("notification")


# allauth template name -> what kind of email it is.
KINDS = {
    "email_confirmation_signup": Kind.VERIFICATION,
    "email_confirmation": Kind.VERIFICATION,
    "password_reset_key": Kind.PASSWORD_RESET,
    "account_already_exists": Kind.ACCOUNT_ALREADY_EXISTS,
    "unknown_account": Kind.UNKNOWN_ACCOUNT,
}


def supported_language(code: str | None) -> str:
    """The closest of our LANGUAGES to `code` ("ko-kr" -> "ko"), or the default."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def language_for(email: str) -> str:
    """The language to write to `email` in: its owner's, if it has one.

    Otherwise (a stranger asking about an unknown account) the language of
    the request that caused the email.
    """
    user = owner_of(email)
    if user is not None:
        return user.language
    return supported_language(translation.get_language())


def time_with_zone(moment: datetime) -> str:
    """A time for an email, in the active language's format and naming its
    zone: "Dec. 7, 2026, 2:05 p.m. UTC"."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def kind_of(template_prefix: str) -> str:
    name = template_prefix.rsplit("/", 1)[-1]
    return KINDS.get(name, Kind.NOTIFICATION)


# A link is a line of its own in every text part (templates/**/email/): a
# mail client's autolinker runs a URL on until whitespace, so a word or a
# Korean particle after it would become part of the link.
LINK_LINE = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Line:
    """One line of a text part: words, or a link standing alone."""

    text: str
    is_link: bool


def paragraphs_of(text: str) -> list[list[Line]]:
    """The text part's paragraphs, each a list of lines; a line that is
    nothing but a URL is a link."""
    return [
        [
            Line(line.strip(), is_link=bool(LINK_LINE.fullmatch(line.strip())))
            for line in block.splitlines()
            if line.strip()
        ]
        for block in re.split(r"\n\s*\n", text.strip())
        if block.strip()
    ]


def with_html_alternative(message: EmailMessage, context: dict) -> EmailMessage:
    """Give a text-only message an HTML part with the same words and links.

    allauth ships plain-text templates; the HTML part sets that text in our
    email layout. Words are escaped as they are, never turned into links;
    each link is the URL of a line of its own, so both parts always carry
    the same link, whatever language surrounds it.
    """
    if not isinstance(message, EmailMultiAlternatives) or message.alternatives:
        return message
    html = render_to_string(
        "account/email/layout.html",
        {
            **context,
            "subject": message.subject,
            "paragraphs": paragraphs_of(str(message.body)),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


_limit_lifted: ContextVar[bool] = ContextVar("verification_limit_lifted", default=False)


def verification_limit_is_lifted() -> bool:
    return _limit_lifted.get()


@contextmanager
def verification_limit_lifted() -> Iterator[None]:
    """Staff resending a verification on purpose are not rate-limited."""
    token = _limit_lifted.set(True)
    try:
        yield
    finally:
        _limit_lifted.reset(token)


def resend(request: HttpRequest, email: OutgoingEmail) -> bool:
    """MAIL_RESENDER: send a fresh email of the same kind to the same address.

    The failed row's bodies are gone (and its links have expired by now), so
    the message is made again, with new links, through allauth's own flows.
    Notifications are not made again: they reported a moment that has passed.
    """
    if email.kind == Kind.VERIFICATION:
        address = EmailAddress.objects.filter(email__iexact=email.to, verified=False)
        if not address.exists():
            return False
        with verification_limit_lifted():
            address.first().send_confirmation(request)
    elif email.kind in (Kind.PASSWORD_RESET, Kind.UNKNOWN_ACCOUNT):
        form = ResetPasswordForm(data={"email": email.to})
        if not form.is_valid():
            return False
        form.save(request)
    elif email.kind == Kind.ACCOUNT_ALREADY_EXISTS:
        get_adapter(request).send_account_already_exists_mail(email.to)
    else:
        return False
    return True
