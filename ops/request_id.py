"""Request ids: one per request, from X-Request-ID or made here, returned in
the response, on every log line the request writes, and carried to the
worker that sends the request's email (mail/outbox.py stores it on the
row; Celery tasks carry it in a header).

A client's id is taken only when it looks like one: at most 128 letters,
digits, dots, dashes, underscores or colons. Anything else (overlong,
control characters, spaces) is replaced by a fresh id, and never logged.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from celery import signals as celery_signals
from django.core.signals import request_finished

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# The Celery message header the id travels in.
TASK_HEADER = "request_id"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current: ContextVar[str] = ContextVar("request_id", default="")


def acceptable(value: str | None) -> str | None:
    """`value` if it may serve as a request id, else None."""
    if value and _ACCEPTABLE.fullmatch(value):
        return value
    return None


def new_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE: every later layer, and every log line, sees it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = acceptable(request.headers.get(HEADER)) or new_id()
        # Kept until the response is finished (request_finished, below):
        # Django logs a 4xx or 5xx after the last middleware has returned.
        current.set(rid)
        response = self.get_response(request)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record, as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current.get() or "-"
        return True


def task_headers() -> dict[str, str]:
    """Headers for a Celery task queued now: the request id, if any."""
    rid = current.get()
    return {TASK_HEADER: rid} if rid else {}


def _task_started(task: Any = None, **kwargs: Any) -> None:
    rid = acceptable(getattr(task.request, TASK_HEADER, None)) if task else None
    current.set(rid or "")


def _task_finished(**kwargs: Any) -> None:
    current.set("")


def _request_finished(**kwargs: Any) -> None:
    current.set("")


def connect() -> None:
    """Forget each request's id once it is answered; in a worker, run each
    task with the id of the request that queued it."""
    request_finished.connect(_request_finished, dispatch_uid="ops.request_id")
    celery_signals.task_prerun.connect(_task_started, dispatch_uid="ops.request_id")
    celery_signals.task_postrun.connect(_task_finished, dispatch_uid="ops.request_id")
