"""Errors under /_allauth/ and /api/: always JSON, in allauth's shape.

{"status": 4xx, "errors": [{"message": ..., "code": ..., "param": ...}]}
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

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
