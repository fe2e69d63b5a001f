"""Our own JSON API beside allauth's headless one, and the rules every API
response follows.

- `GET /api/me`: the signed-in user, behind the same authentication as
  allauth's API: a JWT access token, an app session token, or the browser's
  session cookie. It shows how a project adds endpoints of its own.
- Refresh tokens in a cookie: an app client that sends
  `X-Refresh-Token-Transport: cookie` gets its refresh token as an HttpOnly,
  Secure, SameSite=Strict cookie scoped to `/api/token/refresh`, never in the
  JSON body, and refreshes by POSTing there.
- Every error under /_allauth/ and /api/ is JSON in allauth's shape:
  {"status": 4xx, "errors": [{"message": ..., "code": ..., "param": ...}]}.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from allauth.account.models import EmailAddress
from allauth.core.internal.httpkit import get_authorization_credential
from allauth.headless import app_settings as headless_settings
from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from allauth.headless.tokens.strategies.jwt.internal import validate_access_token
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

API_PREFIXES = ("/_allauth/", "/api/")
REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = "/api/token/refresh"
COOKIE_TRANSPORT_HEADER = "X-Refresh-Token-Transport"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def error_response(
    status: int, message: str, code: str, param: str | None = None
) -> JsonResponse:
    error = {"message": message, "code": code}
    if param is not None:
        error["param"] = param
    return JsonResponse({"status": status, "errors": [error]}, status=status)


class JSONErrorMiddleware:
    """Turn any non-JSON error on an API path (Django's 404 and 405 pages, a
    CSRF failure, a 500) into allauth's JSON error shape."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_api(request)
            and response.status_code >= HTTPStatus.BAD_REQUEST
            and not response.get("Content-Type", "").startswith("application/json")
            and not response.streaming
        ):
            status = HTTPStatus(response.status_code)
            response.content = json.dumps(
                {
                    "status": status.value,
                    "errors": [
                        {
                            "message": status.phrase + ".",
                            "code": status.phrase.lower().replace(" ", "_"),
                        }
                    ],
                }
            )
            response["Content-Type"] = "application/json"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


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


@transaction.non_atomic_requests  # read-only: no BEGIN and COMMIT round trips
@require_http_methods(["GET"])
def me(request: HttpRequest) -> JsonResponse:
    user = authenticated_user(request)
    if user is None or not user.is_active:
        return error_response(
            HTTPStatus.UNAUTHORIZED, "Authentication required.", "not_authenticated"
        )
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    return JsonResponse(
        {
            "status": HTTPStatus.OK,
            "data": {
                "id": user.pk,
                "email": user.email,
                "name": user.name,
                "verified": verified,
                "date_joined": user.date_joined.isoformat(),
            },
        }
    )


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


@csrf_exempt  # SameSite=Strict keeps the cookie off cross-site requests
@require_http_methods(["POST", "DELETE"])
def refresh_with_cookie(request: HttpRequest) -> JsonResponse:
    """POST: trade the refresh cookie for a new access token (and cookie).
    DELETE: forget the cookie, for signing out."""
    if request.method == "DELETE":
        response = JsonResponse({"status": HTTPStatus.OK})
        response.delete_cookie(
            REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, samesite="Strict"
        )
        return response
    refresh_token = request.COOKIES.get(REFRESH_COOKIE)
    tokens = None
    if refresh_token and "app" in headless_settings.CLIENTS:
        tokens = headless_settings.TOKEN_STRATEGY.refresh_token(refresh_token)
    if tokens is None:
        response = error_response(
            HTTPStatus.UNAUTHORIZED,
            "The refresh token is missing, expired or revoked.",
            "invalid_refresh_token",
        )
        response.delete_cookie(
            REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, samesite="Strict"
        )
        return response
    access_token, next_refresh_token = tokens
    response = JsonResponse(
        {"status": HTTPStatus.OK, "data": {"access_token": access_token}}
    )
    set_refresh_cookie(response, next_refresh_token)
    return response


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


def feature_not_enabled(request: HttpRequest, **kwargs) -> JsonResponse:
    """allauth routes for features this service does not offer (phone
    numbers, login codes): a plain 404, never a half-working endpoint."""
    return error_response(
        HTTPStatus.NOT_FOUND, "This feature is not enabled.", "not_enabled"
    )
