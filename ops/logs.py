"""Log records: plain text or one JSON object per line (DJANGO_LOG_FORMAT),
each with the request id, and never a key from an emailed link.

`logging_config()` is the LOGGING setting of every process, web, worker and
beat alike: Celery configures no logging of its own (project/celery.py
answers its setup_logging signal), so Django's LOGGING applies there too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

FORMATS = ("plain", "json")
# Emailed links carry one-time keys in their path; a log shows the prefix.
_KEYED_PATH = re.compile(
    r"(/accounts/(?:confirm-email|password/reset/key|3rdparty/approve)/)[^\s'\"?]+"
)
_REDACTED = r"\1[redacted]/"
# Database errors a request meets while PostgreSQL is down: a line each,
# not a traceback each (ops/unavailable.py answers 503).
_DATABASE_DOWN = ("OperationalError", "InterfaceError")


def redact(text: str) -> str:
    return _KEYED_PATH.sub(_REDACTED, text)


class RedactFilter(logging.Filter):
    """Hides the keys of emailed links in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class ShortDatabaseErrorFilter(logging.Filter):
    """A request that failed because the database is unreachable is logged
    as one line naming the error, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and type(exc).__name__ in _DATABASE_DOWN:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            record.msg = f"{record.getMessage()} ({type(exc).__name__}: {first_line})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(_JsonFormatter):
    """time, level, logger, message, request_id, and the traceback if any.

    Extra attributes stay out unless they are plain values: Django's
    `request` (whose repr holds the query string) never reaches a log.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "reserved_attrs", [*RESERVED_ATTRS, "request", "server_time", "socket"]
        )
        kwargs.setdefault("timestamp", "time")
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            *args,
            rename_fields={"levelname": "level", "name": "logger"},
            **kwargs,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key, value in list(log_data.items()):
            if not isinstance(value, str | int | float | bool | type(None) | list):
                log_data[key] = str(value)


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING setting for `log_format` ("plain" or "json")."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "ops.request_id.RequestIdFilter"},
            "redact": {"()": "ops.logs.RedactFilter"},
            "short_database_errors": {"()": "ops.logs.ShortDatabaseErrorFilter"},
        },
        "formatters": {
            "plain": {
                "format": "%(asctime)s %(levelname)s %(name)s "
                "[%(request_id)s] %(message)s"
            },
            "json": {"()": "ops.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id", "redact", "short_database_errors"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Celery's own loggers reach the root handler, not handlers of
            # their own (CELERY_WORKER_HIJACK_ROOT_LOGGER = False).
            "celery": {"level": level, "propagate": True},
        },
    }
