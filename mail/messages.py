"""What an outbox row looks like on the wire, whichever way it leaves.

Every email gets the same headers, by SMTP or through a provider's API:

- `From`: DEFAULT_FROM_EMAIL, with the service's name (DJANGO_SITE_NAME)
  as its display name unless DEFAULT_FROM_EMAIL names one itself.
- `Message-ID`: on our own domain (DJANGO_PUBLIC_URL's host, else the From
  address's domain), never the machine's host name, and made from the row's
  idempotency key: a retry of the same row carries the same Message-ID, so a
  copy sent twice is recognisably one message.
- `Date`, and `Auto-Submitted: auto-generated` (RFC 3834): a machine wrote
  it, so vacation responders stay quiet.
- No `List-Unsubscribe`: every email of ours is one the person needs
  (a link they asked for, or a notice about their account).
- No open or click tracking: the providers' pixels and rewritten links have
  no place in security mail, whose links must reach us untouched. (Amazon
  SES has no per-message switch: give it a configuration set without open
  and click tracking, or none.)
- The row's id as provider metadata, which the providers echo in their
  webhooks, so a report finds its row even before the provider's id is
  stored.
"""

from __future__ import annotations

from email.utils import format_datetime, formataddr, parseaddr
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from mail.app_settings import app_settings

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

    from mail.models import OutgoingEmail

# The provider metadata key that carries the row's id.
OUTBOX_ID = "outbox_id"
# Providers with no per-message tracking switch (anymail refuses one): Amazon
# SES tracks opens and clicks only when its configuration set says so, and
# ours must not.
NO_TRACKING_SWITCH = {"Amazon SES"}


def from_address() -> str:
    """DEFAULT_FROM_EMAIL with a display name: its own, or the service's."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((name or app_settings.SITE_NAME, address))


def our_domain() -> str:
    """The domain our Message-IDs are on."""
    host = urlsplit(app_settings.PUBLIC_URL).hostname
    if host:
        return host
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]


def message_id_for(row: OutgoingEmail) -> str:
    return f"<{row.idempotency_key}@{our_domain()}>"


def compose(row: OutgoingEmail, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    """The message to send for `row`, over `connection`."""
    message = EmailMultiAlternatives(
        row.subject,
        row.body_text,
        from_email=from_address(),
        to=[row.to],
        connection=connection,
        headers={
            "Message-ID": row.message_id or message_id_for(row),
            "Date": format_datetime(timezone.now()),
            "Auto-Submitted": "auto-generated",
        },
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    # django-anymail's attributes; Django's SMTP backend ignores them.
    if getattr(connection, "esp_name", "") not in NO_TRACKING_SWITCH:
        message.track_opens = False  # type: ignore[attr-defined]
        message.track_clicks = False  # type: ignore[attr-defined]
    message.metadata = {OUTBOX_ID: str(row.pk)}  # type: ignore[attr-defined]
    return message


def provider_message_id(message: EmailMultiAlternatives) -> str:
    """The id the provider gave the message it accepted; "" for SMTP."""
    status = getattr(message, "anymail_status", None)
    return str(getattr(status, "message_id", None) or "")
