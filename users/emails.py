"""Rendering account email: its language, its HTML part and its kind."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from users.models import OutgoingEmail, User

Kind = OutgoingEmail.Kind

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
    address = (
        EmailAddress.objects.filter(email__iexact=email)
        .select_related("user")
        .order_by("-verified", "-primary")
        .first()
    )
    user = address.user if address else User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user.language
    return supported_language(translation.get_language())


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
