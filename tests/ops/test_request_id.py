"""Request ids: taken from X-Request-ID when sane, made otherwise, returned,
on every log line, and stored with the email the request queued."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from django.urls import reverse

from mail.models import OutgoingEmail
from ops import request_id
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_clients_id_is_kept_and_returned():
    response = Client().get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:abc_DEF"})

    assert response["X-Request-ID"] == "lb-7f3a.42:abc_DEF"


@pytest.mark.parametrize(
    "garbage", ["x" * 129, "has space", "new\nline", "tab\there", "<script>", "é", ""]
)
def test_garbage_is_replaced_by_an_id_of_ours(garbage, caplog):
    with caplog.at_level(logging.DEBUG):
        response = Client().get("/nope/", headers={"X-Request-ID": garbage})

    made = response["X-Request-ID"]
    assert made != garbage
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    if garbage:
        assert garbage not in caplog.text


def test_every_log_line_of_a_request_carries_its_id(caplog):
    seen = []

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            request_id.RequestIdFilter().filter(record)
            seen.append((record.name, getattr(record, "request_id", None)))

    spy = Spy()
    logging.getLogger().addHandler(spy)
    try:
        # A 404 is logged by Django after the last middleware returned.
        Client().get("/no/such/page/", headers={"X-Request-ID": "trace-123"})
    finally:
        logging.getLogger().removeHandler(spy)

    assert ("django.request", "trace-123") in seen


def test_outside_a_request_the_id_is_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)

    request_id.RequestIdFilter().filter(record)

    assert getattr(record, "request_id", None) == "-"


def test_the_email_a_request_queues_remembers_the_request(client):
    client.post(
        reverse("account_signup"),
        {"email": "traced@example.com", "password1": PASSWORD, "password2": PASSWORD},
        headers={"X-Request-ID": "signup-trace-1"},
    )

    assert OutgoingEmail.objects.get(to="traced@example.com").request_id == (
        "signup-trace-1"
    )


def test_a_task_queued_by_a_request_carries_its_id():
    token = request_id.current.set("queued-by-me")
    try:
        assert request_id.task_headers() == {"request_id": "queued-by-me"}
    finally:
        request_id.current.reset(token)
    assert request_id.task_headers() == {}


def test_pages_still_answer_normally():
    assert Client().get(reverse("account_login")).status_code == 200
