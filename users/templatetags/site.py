"""`{% site_name %}`: the service's configured name (DJANGO_SITE_NAME), and
`{% dev_inbox_url %}`: under `./dev run`, where the mail went.

Tags rather than context processors, so the pages Django renders without
a request (500, CSRF failure) name the service as every other page does.
"""

from django import template
from django.apps import apps
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return settings.SITE_NAME


@register.simple_tag
def dev_inbox_url() -> str:
    """The dev inbox's address when it receives the service's mail (the dev
    settings without EMAIL_URL); else nothing. A newcomer who signs up is
    told to look in an inbox, and needs to know which."""
    if not apps.is_installed("dev_inbox") or not getattr(
        settings, "DEV_INBOX_DIR", None
    ):
        return ""
    return reverse("dev_inbox")
