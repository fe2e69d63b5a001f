"""Errors under /_allauth/ and /api/: always JSON, in allauth's shape.

{"status": 4xx, "errors": [{"message": ..., "code": ..., "param": ...}]}

allauth answers some errors with a status and no `errors` list (a 401 that
lists the flows to sign in by, a 409, a throttled resend's 403, a 429...);
the middleware below adds one to each, keeping the rest of the body, so a
client reads every error the same way.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

API_PREFIXES = ("/_allauth/", "/api/")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def error_response(
    status: int, message: str, code: str, param: str | None = None
) -> JsonResponse:
    error = {"message": message, "code": code}
    if param is not None:
        error["param"] = param
    return JsonResponse({"status": status, "errors": [error]}, status=status)


def error_for(request: HttpRequest, status: int, body: dict) -> dict[str, str]:
    """The error an answer of allauth's without `errors` stands for."""
    if status == HTTPStatus.UNAUTHORIZED:
        if body.get("meta", {}).get("is_authenticated"):
            return {
                "message": _(
                    "Confirm it is you first: sign in again, or use a second factor."
                ),
                "code": "reauthentication_required",
            }
        return {"message": _("Sign in first."), "code": "not_authenticated"}
    if (
        status == HTTPStatus.FORBIDDEN
        and request.method == "PUT"
        and request.path.endswith("/account/email")
    ):
        # A request to resend a verification link that sent none.
        return {
            "message": _(
                "No new verification email was sent: one was sent a "
                "few minutes ago, and its link still works."
            ),
            "code": "verification_not_sent",
        }
    known = {
        HTTPStatus.FORBIDDEN: (_("This is not allowed."), "forbidden"),
        HTTPStatus.NOT_FOUND: (_("Not found."), "not_found"),
        HTTPStatus.CONFLICT: (
            _(
                "This cannot be done now: someone is already signed in, or "
                "there is no step of a sign-in waiting for it."
            ),
            "conflict",
        ),
        HTTPStatus.GONE: (
            _("This session has ended. Sign in again."),
            "session_gone",
        ),
        HTTPStatus.TOO_MANY_REQUESTS: (
            _("Too many attempts. Wait a few minutes, then try again."),
            "too_many_requests",
        ),
    }
    if status in known:
        message, code = known[HTTPStatus(status)]
        return {"message": message, "code": code}
    phrase = HTTPStatus(status).phrase
    return {"message": phrase + ".", "code": phrase.lower().replace(" ", "_")}


def _with_errors(request: HttpRequest, response: HttpResponse) -> bytes | None:
    """The body with an `errors` list added, or None when it has one."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("errors"):
        return None
    status = response.status_code
    if not isinstance(body, dict):  # Django's HTML 404, 405, CSRF failure, 500
        phrase = HTTPStatus(status).phrase
        body = {"status": status}
        error = {"message": phrase + ".", "code": phrase.lower().replace(" ", "_")}
    else:
        error = error_for(request, status, body)
    body["errors"] = [error]
    return json.dumps(body).encode()


class JSONErrorMiddleware:
    """Every error on an API path in allauth's shape: a non-JSON one (Django's
    404 and 405 pages, a CSRF failure, a 500) turned into JSON, and a JSON
    one without an `errors` list given one."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_api(request)
            and response.status_code >= HTTPStatus.BAD_REQUEST
            and not response.streaming
            and (content := _with_errors(request, response)) is not None
        ):
            response.content = content
            response["Content-Type"] = "application/json"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
