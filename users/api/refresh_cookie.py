"""Refresh tokens in an HttpOnly cookie, for app clients that ask for it.

An app client that sends `X-Refresh-Token-Transport: cookie` gets its refresh
token as an HttpOnly, Secure, SameSite=Strict cookie scoped to
`/api/token/refresh`, never in the JSON body, and refreshes by POSTing there
(users/api/views.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from allauth.headless import app_settings as headless_settings

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = "/api/token/refresh"
COOKIE_TRANSPORT_HEADER = "X-Refresh-Token-Transport"


def set_refresh_cookie(response: HttpResponse, refresh_token: str) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        max_age=headless_settings.JWT_REFRESH_TOKEN_EXPIRES_IN,
        path=REFRESH_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="Strict",
    )


class RefreshTokenCookieMiddleware:
    """For app clients that ask for it, move the refresh token from allauth's
    JSON body into the HttpOnly cookie."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/_allauth/app/")
            and request.headers.get(COOKIE_TRANSPORT_HEADER, "").lower() == "cookie"
            and response.get("Content-Type", "").startswith("application/json")
        ):
            body = json.loads(response.content)
            meta = body.get("meta") or {}
            if refresh_token := meta.pop("refresh_token", None):
                response.content = json.dumps(body)
                set_refresh_cookie(response, refresh_token)
        return response
