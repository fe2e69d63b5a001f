"""While an app waits for a person to sign in, the sign-in pages on the way
(the password, the second factor, a login code, a reauthentication) let the
browser go back to it.

Sending the last of those forms redirects through the authorize endpoint
straight to the app (for a first-party app, with no consent page between),
and a browser checks every hop of that redirect against the form page's
`form-action`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from project.csp import allow_form_action

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

PENDING = "identity_pending_origins"
# Apps one browser may be signing in to at once (tabs).
MAX_PENDING = 5


def source_of(redirect_uri: str) -> str:
    """The CSP source a redirect URI needs: its origin, or for a native app's
    own scheme (com.example.app:/callback) the scheme."""
    parts = urlsplit(redirect_uri)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return f"{parts.scheme}:" if parts.scheme else ""


def remember_pending_origin(request: HttpRequest, source: str) -> None:
    pending = [s for s in request.session.get(PENDING, []) if s != source]
    request.session[PENDING] = [*pending, source][-MAX_PENDING:]


def forget_pending_origin(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


class PendingAuthorizationMiddleware:
    """Adds the waiting apps' origins to the form-action of HTML pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            session is not None
            and not response.has_header("Location")
            and response.get("Content-Type", "").startswith("text/html")
            and (pending := session.get(PENDING))
        ):
            allow_form_action(response, *pending)
        return response
