"""Our own endpoints beside allauth's headless API.

- `GET /api/me`: the signed-in user, behind the same authentication as
  allauth's API (users/api/authentication.py). It shows how a project adds
  endpoints of its own: describe each in `OUR_PATHS` (users/api/spec.py).
- `POST /api/token/refresh`: the refresh-token cookie traded for a new access
  token (users/api/refresh_cookie.py).
"""

from __future__ import annotations

from http import HTTPStatus

from allauth.account.models import EmailAddress
from allauth.headless import app_settings as headless_settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from users.api.authentication import authenticated_user
from users.api.errors import error_response
from users.api.refresh_cookie import (
    REFRESH_COOKIE,
    REFRESH_COOKIE_PATH,
    set_refresh_cookie,
)


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


def feature_not_enabled(request: HttpRequest, **kwargs) -> JsonResponse:
    """allauth routes for features this service does not offer (phone
    numbers, verification codes): a plain 404, never a half-working endpoint."""
    return error_response(
        HTTPStatus.NOT_FOUND, "This feature is not enabled.", "not_enabled"
    )
