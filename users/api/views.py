"""Our own endpoints beside allauth's headless API.

- `GET /api/me`: the signed-in user, behind the same authentication as
  allauth's API (users/api/authentication.py). It shows how a project adds
  endpoints of its own: describe each in `OUR_PATHS` (users/api/spec.py).
  `DELETE /api/me` deletes the account, after a fresh reauthentication.
- `POST /api/me/reauthenticate/code/request` and `.../confirm`: a code
  mailed to an account with neither password nor second factor, as its
  reauthentication (users/reauthentication.py).
- `GET /api/me/export` and `GET /api/me/activity`: what we hold about the
  person, and their security events.
- `POST /api/token/refresh`: the refresh-token cookie traded for a new access
  token (users/api/refresh_cookie.py).
"""

from __future__ import annotations

import json
from http import HTTPStatus

from allauth.account.models import EmailAddress
from allauth.headless import app_settings as headless_settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from activity.events import as_json, page_of
from users import reauthentication
from users.api.authentication import (
    Caller,
    acting_as,
    authenticate,
    keep_session,
    passes_csrf_check,
    reauthentication_flows,
    recently_reauthenticated,
)
from users.api.errors import error_response
from users.api.refresh_cookie import (
    REFRESH_COOKIE,
    REFRESH_COOKIE_PATH,
    set_refresh_cookie,
)
from users.lifecycle import delete_account, export_account


def _not_authenticated() -> JsonResponse:
    return error_response(
        HTTPStatus.UNAUTHORIZED, "Authentication required.", "not_authenticated"
    )


# No request-wide transaction: a GET reads (no BEGIN and COMMIT round trips),
# and deleting the account is one transaction of its own. A DELETE with a
# token has nothing to forge; one with the session cookie is checked in
# _delete_me, so that its refusal is JSON too.
@csrf_exempt
@transaction.non_atomic_requests
@require_http_methods(["GET", "DELETE"])
def me(request: HttpRequest) -> JsonResponse:
    """GET: the signed-in user. DELETE: delete the account, after a fresh
    reauthentication (users/lifecycle.py)."""
    caller = authenticate(request)
    if caller is None:
        return _not_authenticated()
    if request.method == "DELETE":
        return _delete_me(request, caller)
    user = caller.user
    # Loaded with the account when the caller came by JWT.
    verified = getattr(user, "primary_address_verified", None)
    if verified is None:
        verified = EmailAddress.objects.filter(
            user=user, email=user.email, verified=True
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


def _delete_me(request: HttpRequest, caller: Caller) -> JsonResponse:
    if not passes_csrf_check(request, caller):
        return _csrf_failed()
    if not recently_reauthenticated(request, caller):
        # allauth's answer when a change needs the password (or a factor) again.
        response = error_response(
            HTTPStatus.UNAUTHORIZED,
            "Reauthenticate first: this change needs a fresh sign-in.",
            "reauthentication_required",
        )
        body = json.loads(response.content)
        body["data"] = {"flows": reauthentication_flows(caller)}
        body["meta"] = {"is_authenticated": True}
        return JsonResponse(body, status=HTTPStatus.UNAUTHORIZED)
    delete_account(request, caller.user)
    return JsonResponse({"status": HTTPStatus.OK})


def _csrf_failed() -> JsonResponse:
    return error_response(
        HTTPStatus.FORBIDDEN, "The CSRF token is missing or incorrect.", "csrf_failed"
    )


def _code_caller(request: HttpRequest) -> Caller | JsonResponse:
    """The caller of a reauthentication-by-code endpoint, or the refusal."""
    caller = authenticate(request)
    if caller is None:
        return _not_authenticated()
    if not passes_csrf_check(request, caller):
        return _csrf_failed()
    if not reauthentication.needs_mailed_code(caller.user):
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "Reauthenticate with your password or a second factor.",
            "code_not_available",
        )
    return caller


# The code goes through the outbox, in the request's transaction.
@csrf_exempt
@require_http_methods(["POST"])
def request_reauthentication_code(request: HttpRequest) -> JsonResponse:
    """Mail a code to an account with neither password nor second factor."""
    caller = _code_caller(request)
    if isinstance(caller, JsonResponse):
        return caller
    with acting_as(request, caller):
        sent = reauthentication.send_code(request, caller.user)
    keep_session(caller)
    if not sent:
        return error_response(
            HTTPStatus.TOO_MANY_REQUESTS,
            "Too many codes were asked for. Try again in a minute.",
            "too_many_requests",
        )
    return JsonResponse({"status": HTTPStatus.OK})


@csrf_exempt
@require_http_methods(["POST"])
def confirm_reauthentication_code(request: HttpRequest) -> JsonResponse:
    """The mailed code: right, and the caller counts as reauthenticated."""
    caller = _code_caller(request)
    if isinstance(caller, JsonResponse):
        return caller
    try:
        code = json.loads(request.body).get("code")
    except (ValueError, AttributeError):
        code = None
    if not isinstance(code, str) or not code:
        return error_response(
            HTTPStatus.BAD_REQUEST, "This field is required.", "required", "code"
        )
    with acting_as(request, caller):
        confirmed = reauthentication.confirm_code(request, caller.user, code)
    keep_session(caller)
    if not confirmed:
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "This code is wrong or has expired. Ask for a new one.",
            "incorrect_code",
            "code",
        )
    return JsonResponse({"status": HTTPStatus.OK})


@transaction.non_atomic_requests  # read-only: no BEGIN and COMMIT round trips
@require_http_methods(["GET"])
def export(request: HttpRequest) -> JsonResponse:
    """Everything we hold about the signed-in person (users/lifecycle.py)."""
    caller = authenticate(request)
    if caller is None:
        return _not_authenticated()
    return JsonResponse({"status": HTTPStatus.OK, "data": export_account(caller.user)})


@transaction.non_atomic_requests
@require_http_methods(["GET"])
def activity(request: HttpRequest) -> JsonResponse:
    """The signed-in person's security events, newest first, a page at a
    time: `meta.next_cursor` fetches the next."""
    caller = authenticate(request)
    if caller is None:
        return _not_authenticated()
    try:
        events, next_cursor = page_of(caller.user, request.GET.get("cursor"))
    except ValueError:
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "This cursor is not one of ours.",
            "invalid",
            "cursor",
        )
    return JsonResponse(
        {
            "status": HTTPStatus.OK,
            "data": [as_json(event) for event in events],
            "meta": {"next_cursor": next_cursor},
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
