"""Rendering account email: the HTML part and the kind of each message."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string

from users.models import OutgoingEmail

Kind = OutgoingEmail.Kind

# allauth template name -> what kind of email it is.
KINDS = {
    "email_confirmation_signup": Kind.VERIFICATION,
    "email_confirmation": Kind.VERIFICATION,
    "password_reset_key": Kind.PASSWORD_RESET,
    "account_already_exists": Kind.ACCOUNT_ALREADY_EXISTS,
    "unknown_account": Kind.UNKNOWN_ACCOUNT,
}


def kind_of(template_prefix: str) -> str:
    name = template_prefix.rsplit("/", 1)[-1]
    return KINDS.get(name, Kind.NOTIFICATION)


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
