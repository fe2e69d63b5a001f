"""Short answers of ours when a request cannot be served.

- The database is unreachable: 503 with Retry-After, a short page (or
  allauth's JSON error shape on API paths), never a traceback, and one log
  line per request (ops/logs.py). Django turns an exception anywhere in a
  request into a call of `handler500`; this one tells the database's
  exceptions from the rest.
- A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE: 413, as nginx answers
  for the same limit, whether or not the request passed through nginx.
"""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.views import defaults

from users.api.errors import error_response, is_api

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

# Seconds a client is asked to wait before trying again.
RETRY_AFTER = 15


def database_unreachable(exc: BaseException | None) -> bool:
    """A connection refused, lost or timed out (and, rarer, a statement the
    server cancelled): worth trying again shortly."""
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        response: HttpResponse = error_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "The service cannot answer right now; try again shortly.",
            "unavailable",
        )
    else:
        response = render(request, "503.html", status=HTTPStatus.SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if is_api(request):
        return error_response(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"The request body is larger than {limit} bytes.",
            "too_large",
        )
    return render(request, "413.html", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 while the database is unreachable, else Django's 500."""
    if database_unreachable(sys.exc_info()[1]):
        return unavailable(request)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: 413 for a body over the limit, else Django's 400."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    return defaults.bad_request(request, exception)


class BodyLimitMiddleware:
    """Refuse a declared Content-Length over the limit before reading it.

    Bodies without one (chunked) are counted as they are read; Django raises
    RequestDataTooBig, which `bad_request` answers with the same 413.
    Uploads of files are not a thing this service takes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return too_large(request)
        return self.get_response(request)
