"""Email service providers (django-anymail): which of their failures are
worth another try.

anymail raises `AnymailRequestsAPIError` for Postmark, Mailgun and SendGrid.
It subclasses requests' `HTTPError`, an `OSError`, so an outbox that retried
every `OSError` would retry a 401 or a 422 for a day. The providers call
only these temporary: 429 (slow down), 5xx (their trouble) and a connection
that failed or timed out. Every other answer (400, 401, 403, 404, 413, 422)
will not change by itself: the row fails at once. Amazon SES goes through
boto3: its `ClientError` carries the HTTP status, and its connection errors
are botocore's own. `AnymailRecipientsRefused` (the provider refuses the
address, e.g. Postmark's inactive recipients) is no `OSError` and never
temporary.
"""

from __future__ import annotations

from http import HTTPStatus

import requests
from anymail.exceptions import AnymailAPIError, AnymailError
from botocore import exceptions as botocore_errors

# The only 4xx a provider asks us to repeat.
TOO_MANY_REQUESTS = HTTPStatus.TOO_MANY_REQUESTS
# Answers about our account, not the message: every message would get them.
ACCOUNT_REFUSED = (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)


def is_provider_error(exc: BaseException) -> bool:
    return isinstance(exc, AnymailError)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status the provider answered with, if it answered."""
    if isinstance(exc, AnymailAPIError):
        if exc.status_code is not None:
            return int(exc.status_code)
        response = exc.response
        if isinstance(response, dict):  # boto3's ClientError.response
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return int(status) if status else None
    return None


def is_connection_error(exc: BaseException) -> bool:
    """No answer at all: refused, reset, timed out, name not resolved."""
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    cause = exc.__cause__
    return isinstance(
        cause, botocore_errors.ConnectionError | botocore_errors.HTTPClientError
    )


def is_transient(exc: BaseException) -> bool:
    """Whether the provider said "try again later": 429, 5xx, or no answer."""
    status = status_of(exc)
    if status is not None:
        return status == TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR
    return is_connection_error(exc)


def refuses_us(exc: BaseException) -> bool:
    """The provider is down, overloaded or refuses our credentials: every
    other message would fare the same, so a sweep stops its batch."""
    status = status_of(exc)
    if status is None:
        return is_connection_error(exc)
    return (
        status in ACCOUNT_REFUSED
        or status == TOO_MANY_REQUESTS
        or status >= HTTPStatus.INTERNAL_SERVER_ERROR
    )
