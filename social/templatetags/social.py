"""The words on the sign-in provider buttons."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def provider_label(provider: Any, process: str = "login") -> str:
    """ "카카오로 시작하기" on the sign-in pages; "Connect Kakao" on the
    connections page."""
    if process == "connect":
        return _("Connect %(provider)s") % {"provider": provider.name}
    labels = {
        "kakao": _("Continue with Kakao"),
        "naver": _("Continue with Naver"),
        "google": _("Continue with Google"),
    }
    return labels.get(provider.id) or _("Continue with %(provider)s") % {
        "provider": provider.name
    }
