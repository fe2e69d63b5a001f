"""Outgoing mail: rendered during the request, delivered by the Celery worker.

Every email the service sends passes through `queue_email`, called from the
account adapter. Delivery (`deliver`) runs in the worker; `is_transient`
decides what is worth another attempt.
"""

from __future__ import annotations

import logging
import smtplib
from functools import partial

from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.db import transaction
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# allauth template prefix -> what kind of email it is (for logs and the admin).
KINDS = {
    "email_confirmation_signup": "verification",
    "email_confirmation": "verification",
    "password_reset_key": "password_reset",
    "account_already_exists": "account_already_exists",
    "unknown_account": "unknown_account",
}


def kind_of(template_prefix: str) -> str:
    name = template_prefix.rsplit("/", 1)[-1]
    return KINDS.get(name, "notification")


def with_html_alternative(message: EmailMessage, context: dict) -> EmailMessage:
    """Give a text-only message an HTML part with the same words and links.

    allauth ships plain-text templates; the HTML part wraps that text in our
    email layout, so both parts always carry the same link.
    """
    if not isinstance(message, EmailMultiAlternatives) or message.alternatives:
        return message
    html = render_to_string(
        "account/email/layout.html",
        {**context, "subject": message.subject, "text": message.body},
    )
    message.attach_alternative(html, "text/html")
    return message


def html_part(message: EmailMessage) -> str | None:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return content
    return None


def queue_email(message: EmailMessage, *, kind: str) -> None:
    """Hand a rendered message to the worker once the transaction commits.

    Only plain strings travel: the recipient, subject and bodies. A message
    from a transaction that rolls back is never queued.
    """
    from users.tasks import send_email

    (to,) = message.to
    transaction.on_commit(
        partial(
            _enqueue,
            send_email,
            to=to,
            subject=message.subject,
            text=message.body,
            html=html_part(message),
            kind=kind,
        )
    )


def _enqueue(task, **fields: str | None) -> None:
    try:
        task.delay(**fields)
    except OperationalError:
        logger.error("Broker unreachable; %s email not queued", fields["kind"])


def deliver(*, to: str, subject: str, text: str, html: str | None) -> None:
    message = EmailMultiAlternatives(subject, text, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    with mailers.default as connection:
        connection.send_messages([message])


def is_transient(exc: Exception) -> bool:
    """Whether a delivery failure may clear up on its own (SMTP 4xx, network)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return not 500 <= exc.smtp_code < 600
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError))
