"""The mail pipeline: rendered in the request, queued after commit, sent by
the worker, retried when SMTP says "later"."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from allauth.account.signals import user_signed_up
from celery.signals import before_task_publish
from django.test import Client

from mail.models import OutgoingEmail
from tests.support.factories import PASSWORD
from tests.support.flows import signup
from tests.support.processes import wait_until
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]


@pytest.fixture
def published() -> Iterator[list[tuple[dict, tuple]]]:
    """Every task message this process publishes, as the broker receives it."""
    bodies: list = []

    def record(body, headers, **kwargs) -> None:
        bodies.append((headers, body))

    before_task_publish.connect(record, weak=False)
    yield bodies
    before_task_publish.disconnect(record)


def test_every_email_has_a_text_and_an_html_part_with_the_same_link(mailbox):
    signup(Client(raise_request_exception=False), "pat@example.com")

    (message,) = mailbox.wait_for(to="pat@example.com")
    assert message.message.get_content_type() == "multipart/alternative"
    link = next(w for w in message.text.split() if "/confirm-email/" in w)
    assert f'href="{link}"' in message.html


def test_the_task_carries_the_outbox_row_id_only(mailbox, published):
    signup(Client(raise_request_exception=False), "quinn@example.com")
    mailbox.wait_for(to="quinn@example.com")

    (row,) = OutgoingEmail.objects.all()
    sends = [
        body
        for headers, body in published
        if headers["task"].endswith("send_outgoing_email")
    ]
    assert sends == [((row.pk,), {}, sends[0][2])]
    assert PASSWORD not in repr(published)
    assert User.objects.get().password not in repr(published)


def test_a_signup_that_rolls_back_sends_nothing_and_creates_nothing(mailbox):
    def fail(**kwargs):
        msg = "something after the user row failed"
        raise RuntimeError(msg)

    user_signed_up.connect(fail, weak=False)
    try:
        response = signup(Client(raise_request_exception=False), "rollback@example.com")
    finally:
        user_signed_up.disconnect(fail)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert not User.objects.exists()
    # The outbox row rolled back with the account: nothing is left to send.
    assert not OutgoingEmail.objects.exists()


def test_smtp_451_is_retried_until_delivered_once(mailbox):
    mailbox.reply = "451 4.3.0 Mailbox busy, try again later"
    signup(Client(raise_request_exception=False), "retry@example.com")
    wait_until(lambda: mailbox.attempts >= 2)

    mailbox.reply = None
    mailbox.wait_for(to="retry@example.com")
    # Sent is final: no sender claims a sent row again.
    wait_until(OutgoingEmail.objects.filter(status="sent").exists)
    (row,) = OutgoingEmail.objects.all()
    assert row.attempts >= 2
    assert len(mailbox.to("retry@example.com")) == 1


def test_smtp_5xx_is_not_retried(mailbox):
    mailbox.reply = "550 5.1.1 No such mailbox"
    signup(Client(raise_request_exception=False), "bounce@example.com")
    # Failed is final: no sender claims a failed row again.
    wait_until(OutgoingEmail.objects.filter(status="failed").exists)

    (row,) = OutgoingEmail.objects.all()
    assert row.attempts == 1
    assert mailbox.attempts == 1


def test_an_unreachable_smtp_server_is_retried(mailbox):
    mailbox.stop()
    signup(Client(raise_request_exception=False), "later@example.com")
    wait_until(
        OutgoingEmail.objects.filter(status="pending", attempts__gte=1).exists,
        message="the first attempt deferred",
    )
    mailbox.start()

    mailbox.wait_for(to="later@example.com")


def test_the_response_does_not_wait_for_a_slow_smtp_server(mailbox):
    mailbox.delay = 3
    response = signup(Client(raise_request_exception=False), "patient@example.com")

    # The page is answered while the SMTP server is still holding the message.
    assert response.status_code == HTTPStatus.FOUND
    assert not mailbox.to("patient@example.com")
    mailbox.wait_for(to="patient@example.com")


def test_emails_name_the_service_not_the_host(mailbox, settings):
    settings.SITE_NAME = "Example Accounts"
    signup(Client(raise_request_exception=False), "named@example.com")

    (message,) = mailbox.wait_for(to="named@example.com")
    assert "Hello from Example Accounts!" in message.text
