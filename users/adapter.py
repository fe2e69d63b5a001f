"""The allauth account adapter: the one seam for our account behaviour."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from users import mail, outbox
from users.models import User

MAX_EMAIL_LENGTH = User._meta.get_field("email").max_length


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # allauth would silently cut a longer address to the column's length
        # and create an account for an address nobody typed.
        if len(email) > MAX_EMAIL_LENGTH:
            raise ValidationError(
                _("Enter an email address of at most %(max)d characters.")
                % {"max": MAX_EMAIL_LENGTH}
            )
        email = super().clean_email(email)
        lock_address(email)
        return email

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render every account email in the request and put it in the outbox.

        Rendering here means links carry the request's host. The outbox row
        commits with the request's transaction; the worker sends it, so the
        response never waits on SMTP.
        """
        request = allauth_context.request
        ctx: dict[str, Any] = {
            "request": request,
            "email": email,
            # allauth's templates greet from current_site.name: our name,
            # not the host name that Django's RequestSite would give.
            "current_site": SimpleNamespace(
                name=settings.SITE_NAME, domain=get_current_site(request).domain
            ),
        }
        ctx.update(context)
        with translation.override(mail.language_for(email)):
            message = self.render_mail(template_prefix, email, ctx)
        outbox.enqueue(message, kind=mail.kind_of(template_prefix))

    def save_user(self, request, user, form, commit=True):
        # Emails follow the language the person signed up in.
        user.language = mail.supported_language(translation.get_language())
        return super().save_user(request, user, form, commit)

    def render_mail(self, template_prefix, email, context, headers=None):
        message = super().render_mail(template_prefix, email, context, headers)
        return mail.with_html_alternative(message, context)


def lock_address(email: str) -> None:
    """Serialise concurrent signups for one address until the first commits.

    allauth checks that an address is free, then inserts the user. Two
    signups racing between those steps would both pass the check and the
    second would hit the unique constraint as a 500. Under this lock the
    second waits, then sees the first's committed account and answers as
    for any taken address. The lock is PostgreSQL's, held until the
    request's transaction ends (ATOMIC_REQUESTS); elsewhere it is a no-op.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"signup:{email.lower()}"],
        )
