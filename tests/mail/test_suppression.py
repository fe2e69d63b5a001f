"""What an undeliverable address means to the outbox: nothing is sent to it
but what its recipient asked for by hand, until it is cleared."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from mail import outbox, suppression
from mail.models import OutgoingEmail, Suppression

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_session_worker"),
]

Status = OutgoingEmail.Status


@pytest.fixture
def smtp(mailbox, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "mail.backends.SMTPBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": mailbox.port, "timeout": 5},
        }
    }
    return mailbox


def undeliverable(address: str) -> Suppression:
    return Suppression.objects.create(
        address=address,
        reason=Suppression.Reason.HARD_BOUNCE,
        suppressed_at=timezone.now() - timedelta(hours=1),
    )


def queue(to: str, text: str = "Your link: http://x/1/") -> OutgoingEmail:
    with transaction.atomic():
        outbox.enqueue(EmailMultiAlternatives("Subject", text, to=[to]), kind="k")
    return OutgoingEmail.objects.filter(to=to).latest("pk")


def test_nothing_is_sent_to_an_undeliverable_address(smtp):
    undeliverable("gone@example.com")
    row = queue("gone@example.com")

    outbox.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.SUPPRESSED
    assert row.body_text == ""
    assert smtp.attempts == 0


def test_what_the_recipient_asked_for_by_hand_is_sent_anyway(smtp):
    undeliverable("fixed@example.com")
    with outbox.requested_by_hand():
        row = queue("fixed@example.com")

    outbox.deliver(row.pk)

    smtp.wait_for(to="fixed@example.com")
    row.refresh_from_db()
    assert (row.requested_by_hand, row.status) == (True, Status.SENT)


def test_mail_queued_outside_by_hand_is_not_marked(smtp):
    with outbox.requested_by_hand():
        queue("a@example.com")
    row = queue("b@example.com")

    assert row.requested_by_hand is False


def test_a_cleared_address_gets_mail_again(smtp):
    undeliverable("back@example.com")
    assert suppression.clear("back@example.com", by="test")
    row = queue("back@example.com")

    outbox.deliver(row.pk)

    smtp.wait_for(to="back@example.com")
    record = Suppression.objects.get()
    assert (record.is_active, record.cleared_by) == (False, "test")


def test_a_sweep_skips_undeliverable_rows_and_sends_the_rest(smtp):
    undeliverable("gone@example.com")
    for to in ("gone@example.com", "fine@example.com"):
        row = queue(to)
        OutgoingEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    result = outbox.sweep(budget=5)

    assert (result.sent, result.unsent) == (1, 1)
    assert smtp.recipients() == ["fine@example.com"]
