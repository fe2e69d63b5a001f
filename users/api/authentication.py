"""Who is calling: the same credentials allauth's API accepts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.core.internal.httpkit import get_authorization_credential
from allauth.headless import app_settings as headless_settings
from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from allauth.headless.tokens.strategies.jwt.internal import validate_access_token

if TYPE_CHECKING:
    from django.http import HttpRequest


def authenticated_user(request: HttpRequest):
    """The user behind a JWT, an X-Session-Token or the session cookie.

    A credential that is present but invalid means no user: it never falls
    back to another credential.
    """
    if "Authorization" in request.headers:
        token = get_authorization_credential(
            request, headless_settings.JWT_AUTHORIZATION_HEADER_SCHEME
        )
        if not token or not headless_settings.JWT_PRIVATE_KEY:
            return None
        validated = validate_access_token(token)
        return validated[0] if validated else None
    if session_token := request.headers.get("X-Session-Token"):
        authenticated = authenticate_by_x_session_token(session_token)
        return authenticated[0] if authenticated else None
    return request.user if request.user.is_authenticated else None
