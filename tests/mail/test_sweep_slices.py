"""A sweep works in slices, so new mail never waits for a whole one
(mail.tasks.sweep_outbox): each slice stops on time, gives back what it
claimed and did not send, and says whether more is due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mail import outbox
from mail.models import OutgoingEmail
from tests.mail.test_outbox import due_row, smtp  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_session_worker"),
]

Status = OutgoingEmail.Status


def test_a_slice_out_of_time_gives_back_what_it_did_not_send(smtp):  # noqa: F811
    for n in range(20):
        due_row(to=f"slow{n}@example.com")
    smtp.delay = 0.1

    result = outbox.sweep(budget=0.3)

    assert result.more
    assert 1 <= result.sent < 20
    assert not OutgoingEmail.objects.filter(status=Status.SENDING).exists()
    # What was given back kept its attempt, and is due at once.
    waiting = OutgoingEmail.objects.filter(status=Status.PENDING)
    assert waiting.count() == 20 - result.sent
    assert set(waiting.values_list("attempts", flat=True)) == {0}
    assert not waiting.filter(next_attempt_at__gt=timezone.now()).exists()


def test_a_sweep_that_empties_the_outbox_has_no_more(smtp):  # noqa: F811
    for n in range(3):
        due_row(to=f"quick{n}@example.com")

    result = outbox.sweep(budget=30)

    assert (result.sent, result.more) == (3, False)


def test_a_sweep_stopped_by_a_dead_server_has_no_more(smtp):  # noqa: F811
    smtp.stop()
    due_row(to="wait@example.com")

    result = outbox.sweep(budget=30)

    assert (result.unsent, result.more) == (1, False)


def test_a_later_slice_leaves_expired_leases_to_the_next_sweep(smtp):  # noqa: F811
    orphan = due_row(
        to="orphan@example.com",
        status=Status.SENDING,
        attempts=1,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )

    result = outbox.sweep(budget=2, reclaim=False)

    assert result.reclaimed == 0
    orphan.refresh_from_db()
    assert orphan.status == Status.SENDING
