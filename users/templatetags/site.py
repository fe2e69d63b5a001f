"""`{% site_name %}`: the service's configured name (DJANGO_SITE_NAME).

A tag rather than a context processor, so the pages Django renders without
a request (500, CSRF failure) name the service as every other page does.
"""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return settings.SITE_NAME
