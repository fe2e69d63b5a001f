"""The mail pipeline: rendered in the request, queued after commit, sent by
the worker, retried when SMTP says "later"."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from allauth.account.signals import user_signed_up
from celery.signals import before_task_publish
from django.test import Client
from django.urls import reverse

from tests.processes import wait_until
from users.models import OutgoingEmail, User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("worker"),
]

PASSWORD = "amber-Canyon-whistle-77"


def signup(email: str, client: Client | None = None):
    client = client or Client(raise_request_exception=False)
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


@pytest.fixture
def published() -> list[dict]:
    """Every task message this process publishes, as the broker receives it."""
    bodies: list = []

    def record(body, headers, **kwargs) -> None:
        bodies.append((headers, body))

    before_task_publish.connect(record, weak=False)
    yield bodies
    before_task_publish.disconnect(record)


def test_every_email_has_a_text_and_an_html_part_with_the_same_link(mailbox):
    signup("pat@example.com")

    (message,) = mailbox.wait_for(to="pat@example.com")
    assert message.message.get_content_type() == "multipart/alternative"
    link = next(w for w in message.text.split() if "/confirm-email/" in w)
    assert f'href="{link}"' in message.html


def test_the_task_carries_the_outbox_row_id_only(mailbox, published):
    signup("quinn@example.com")
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
        raise RuntimeError("something after the user row failed")

    user_signed_up.connect(fail, weak=False)
    try:
        response = signup("rollback@example.com")
    finally:
        user_signed_up.disconnect(fail)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert not User.objects.exists()
    # Prove the pipeline is live, then that the rolled-back mail never came.
    signup("control@example.com")
    mailbox.wait_for(to="control@example.com")
    time.sleep(0.5)
    assert not mailbox.to("rollback@example.com")


def test_smtp_451_is_retried_until_delivered_once(mailbox):
    mailbox.reply = "451 4.3.0 Mailbox busy, try again later"
    signup("retry@example.com")
    wait_until(lambda: mailbox.attempts >= 2)

    mailbox.reply = None
    mailbox.wait_for(to="retry@example.com")
    time.sleep(1)
    assert len(mailbox.to("retry@example.com")) == 1


def test_smtp_5xx_is_not_retried(mailbox):
    mailbox.reply = "550 5.1.1 No such mailbox"
    signup("bounce@example.com")
    wait_until(lambda: mailbox.attempts >= 1)

    time.sleep(3.5)  # past the first two retry delays (1 s, 2 s) in tests
    assert mailbox.attempts == 1


def test_an_unreachable_smtp_server_is_retried(mailbox):
    mailbox.stop()
    signup("later@example.com")
    time.sleep(1.5)
    mailbox.start()

    mailbox.wait_for(to="later@example.com")


def test_the_response_does_not_wait_for_a_slow_smtp_server(mailbox):
    mailbox.delay = 3
    response = signup("patient@example.com")

    # The page is answered while the SMTP server is still holding the message.
    assert response.status_code == HTTPStatus.FOUND
    assert not mailbox.to("patient@example.com")
    mailbox.wait_for(to="patient@example.com")


def test_emails_name_the_service_not_the_host(mailbox, settings):
    settings.SITE_NAME = "Example Accounts"
    signup("named@example.com")

    (message,) = mailbox.wait_for(to="named@example.com")
    assert "Hello from Example Accounts!" in message.text
