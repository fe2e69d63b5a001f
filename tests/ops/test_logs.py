"""Log lines: JSON when asked, the request id on each, and no key of an
emailed link in any."""

from __future__ import annotations

import json
import logging
import sys

from django.db import OperationalError

from ops.logs import JsonFormatter, RedactFilter, ShortDatabaseErrorFilter, redact
from ops.request_id import RequestIdFilter, current


def record(message: str, *args, **extra) -> logging.LogRecord:
    made = logging.LogRecord(
        "accounts.test", logging.INFO, __file__, 1, message, args, None
    )
    made.__dict__.update(extra)
    return made


def caught(exc: Exception):
    """`exc`, raised and caught: exc_info as a log record holds it."""
    try:
        raise exc
    except type(exc):
        return sys.exc_info()


def formatted(made: logging.LogRecord) -> dict:
    for step in (RequestIdFilter(), RedactFilter()):
        step.filter(made)
    line = JsonFormatter().format(made)
    assert "\n" not in line
    return json.loads(line)


def test_a_json_line_has_time_level_logger_message_and_request_id():
    token = current.set("abc123")
    try:
        line = formatted(record("Sent %s email %s", "verification", 7))
    finally:
        current.reset(token)

    assert line["level"] == "INFO"
    assert line["logger"] == "accounts.test"
    assert line["message"] == "Sent verification email 7"
    assert line["request_id"] == "abc123"
    assert line["time"].startswith("20")


def test_djangos_request_object_never_reaches_a_line():
    class Request:
        def __repr__(self) -> str:
            return "<WSGIRequest: GET '/accounts/?token=s3cret'>"

    line = formatted(record("Not Found: %s", "/x", request=Request(), status_code=404))

    assert "s3cret" not in json.dumps(line)
    assert line["status_code"] == 404


def test_keys_of_emailed_links_are_redacted():
    line = formatted(
        record("Not Found: %s", "/accounts/confirm-email/MQ:1tZ:abcdefSECRET/")
    )

    assert "SECRET" not in line["message"]
    assert line["message"] == "Not Found: /accounts/confirm-email/[redacted]/"
    assert redact("/accounts/3rdparty/approve/SECRET-key/") == (
        "/accounts/3rdparty/approve/[redacted]/"
    )
    assert redact("/accounts/password/reset/key/3-abc-SECRET/") == (
        "/accounts/password/reset/key/[redacted]/"
    )


def test_a_traceback_is_one_json_line():
    made = record("It failed")
    made.exc_info = caught(ValueError("boom"))

    line = formatted(made)

    assert "ValueError: boom" in line["exc_info"]


def test_a_database_outage_is_one_line_without_a_traceback():
    made = record("Service Unavailable: %s", "/accounts/login/")
    made.exc_info = caught(
        OperationalError("connection failed: server closed the connection\nmore")
    )

    ShortDatabaseErrorFilter().filter(made)

    assert made.exc_info is None
    assert made.getMessage() == (
        "Service Unavailable: /accounts/login/ (OperationalError: "
        "connection failed: server closed the connection)"
    )
