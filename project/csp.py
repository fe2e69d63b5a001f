"""Widening the Content-Security-Policy of one response.

SECURE_CSP's `form-action 'self'` also governs where a browser may be
redirected after a form is sent: the consent form that returns to an app,
the sign-in form on the way to it, the button that goes to Kakao. An HTTP
client never notices; a browser refuses. The apps that need more add the
few origins one page needs, to that page only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpResponse


def allow_form_action(response: HttpResponse, *sources: str) -> None:
    """Let this page's forms lead to `sources` too (origins, or scheme-only
    sources such as `com.example.app:` for a native app)."""
    sources = tuple(s for s in sources if s)
    config = getattr(response, "_csp_config", settings.SECURE_CSP)
    if not sources or not config:
        return
    allowed = list(config.get("form-action", []))
    allowed += [s for s in sources if s not in allowed]
    response._csp_config = {**config, "form-action": allowed}  # type: ignore[attr-defined]  # noqa: SLF001 (Django's own hook: ContentSecurityPolicyMiddleware reads it)
