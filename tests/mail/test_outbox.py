"""The outbox's own rules, exercised directly against PostgreSQL and a real
SMTP server: what is stored, who may send it, and what each failure does."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from mail import outbox
from mail.models import OutgoingEmail

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_session_worker"),
]

Status = OutgoingEmail.Status


@pytest.fixture
def smtp(mailbox, settings):
    """Point this process's mailer at the test SMTP server."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": mailbox.port, "timeout": 5},
        }
    }
    return mailbox


def message(
    to: str = "someone@example.com", text: str = "Your link: http://x/1/"
) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives("Subject", text, to=[to])
    email.attach_alternative(f"<p>{text}</p>", "text/html")
    return email


def due_row(**fields) -> OutgoingEmail:
    defaults = {
        "to": "due@example.com",
        "subject": "S",
        "body_text": "text",
        "body_html": "<p>html</p>",
        "kind": "verification",
        "next_attempt_at": timezone.now() - timedelta(seconds=1),
        "idempotency_key": str(fields.get("to", "due@example.com"))
        + str(timezone.now().timestamp()),
    }
    return OutgoingEmail.objects.create(**(defaults | fields))


def test_enqueue_stores_the_message_for_the_worker():
    with transaction.atomic():
        outbox.enqueue(message(), kind="verification")

    row = OutgoingEmail.objects.get()
    assert (row.to, row.subject, row.status, row.attempts) == (
        "someone@example.com",
        "Subject",
        Status.PENDING,
        0,
    )
    assert row.body_text == "Your link: http://x/1/"
    assert row.body_html == "<p>Your link: http://x/1/</p>"


def test_a_rolled_back_transaction_leaves_no_row():
    def signup_that_fails_after_queueing_its_email() -> None:
        with transaction.atomic():
            outbox.enqueue(message(), kind="verification")
            msg = "the signup failed after the email was queued"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError):
        signup_that_fails_after_queueing_its_email()

    assert not OutgoingEmail.objects.exists()


def test_the_same_message_queued_twice_is_one_row():
    with transaction.atomic():
        outbox.enqueue(message(), kind="verification")
        outbox.enqueue(message(), kind="verification")

    assert OutgoingEmail.objects.count() == 1


def test_different_messages_are_different_rows():
    with transaction.atomic():
        outbox.enqueue(message(text="link 1"), kind="verification")
        outbox.enqueue(message(text="link 2"), kind="verification")

    assert OutgoingEmail.objects.count() == 2


def test_a_message_named_by_a_key_is_queued_once_whatever_its_content():
    with transaction.atomic():
        first = outbox.enqueue(message(text="link 1"), kind="verification", key="k")
        second = outbox.enqueue(message(text="link 2"), kind="verification", key="k")
        other_kind = outbox.enqueue(message(), kind="password_reset", key="k")

    assert (first, second, other_kind) == (True, False, True)
    assert OutgoingEmail.objects.get(kind="verification").body_text == "link 1"


def test_a_message_held_back_waits_for_nobody_until_its_time():
    later = timezone.now() + timedelta(minutes=20)
    with transaction.atomic():
        outbox.enqueue(message(), kind="verification", send_at=later)

    row = OutgoingEmail.objects.get()
    assert row.created_at == later
    assert outbox.backlog() == (0, None)
    assert outbox.health()["oldest_pending_age"] is None
    assert outbox.claim_due(10) == []


def test_deliver_sends_and_wipes_the_bodies(smtp):
    row = due_row(to="wipe@example.com")

    outbox.deliver(row.pk)

    (received,) = smtp.wait_for(to="wipe@example.com")
    assert received.text.strip() == "text"
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.sent_at is not None
    assert row.body_text == row.body_html == ""


def test_a_claimed_row_cannot_be_claimed_again():
    row = due_row()

    first = outbox.claim(row.pk)
    second = outbox.claim(row.pk)

    assert first is not None
    assert second is None
    assert OutgoingEmail.objects.get().status == Status.SENDING


def test_a_row_waiting_for_its_retry_is_not_claimed_early():
    row = due_row(attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert outbox.claim(row.pk) is None


def test_smtp_4xx_puts_the_row_back_with_a_later_attempt(smtp):
    smtp.reply = "451 4.7.1 Greylisted, try again later"
    row = due_row()

    outbox.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert "451" in row.last_error
    assert row.body_text == "text"  # still needed for the retry


def test_smtp_5xx_fails_the_row_at_once_and_wipes_it(smtp):
    smtp.reply = "550 5.1.1 No such user"
    row = due_row()

    outbox.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.attempts == 1
    assert "550" in row.last_error
    assert row.body_text == row.body_html == ""


def test_the_last_allowed_attempt_fails_the_row(smtp, settings):
    smtp.reply = "451 4.3.0 Try later"
    row = due_row(attempts=settings.OUTBOX_MAX_ATTEMPTS - 1)

    outbox.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.attempts == settings.OUTBOX_MAX_ATTEMPTS


def test_an_unreachable_server_defers_the_row(smtp):
    smtp.stop()
    row = due_row()

    outbox.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.attempts == 1
    assert "Connection" in row.last_error or "refused" in row.last_error


def test_retry_delays_grow_exponentially_with_jitter_up_to_a_cap(settings):
    settings.EMAIL_RETRY_BACKOFF = 60
    for attempts in range(1, 15):
        step = min(60 * 2 ** (attempts - 1), outbox.MAX_RETRY_DELAY)
        delays = {outbox.retry_delay(attempts) for _ in range(20)}
        assert all(step / 2 <= d <= step for d in delays)
        assert len(delays) > 1  # jittered


def test_retries_span_about_a_day(settings):
    settings.EMAIL_RETRY_BACKOFF = 60
    retries = range(1, settings.OUTBOX_MAX_ATTEMPTS)
    longest = sum(min(60 * 2 ** (n - 1), outbox.MAX_RETRY_DELAY) for n in retries)
    assert timedelta(hours=20) < timedelta(seconds=longest) < timedelta(hours=30)


def test_sweep_takes_back_rows_whose_sender_died(smtp):
    row = due_row(status=Status.SENDING, attempts=1, to="orphan@example.com")

    result = outbox.sweep(budget=5)

    assert result.reclaimed == 1
    smtp.wait_for(to="orphan@example.com")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)


def test_sweep_leaves_rows_under_a_live_lease_alone(smtp):
    due_row(
        status=Status.SENDING, next_attempt_at=timezone.now() + timedelta(minutes=1)
    )

    result = outbox.sweep(budget=2)

    assert (result.reclaimed, result.sent) == (0, 0)
    assert not smtp.received


def test_sweep_sends_every_due_row_over_one_connection(smtp):
    for n in range(30):
        due_row(to=f"batch{n}@example.com")
    not_yet = due_row(
        to="later@example.com", next_attempt_at=timezone.now() + timedelta(minutes=1)
    )

    result = outbox.sweep(budget=30)

    assert result.sent == 30
    assert len({r.peer for r in smtp.received}) == 1
    assert sorted(smtp.recipients()) == sorted(
        f"batch{n}@example.com" for n in range(30)
    )
    not_yet.refresh_from_db()
    assert not_yet.status == Status.PENDING


def test_sweep_stops_when_the_smtp_server_is_down(smtp):
    smtp.stop()
    for n in range(5):
        due_row(to=f"wait{n}@example.com")

    result = outbox.sweep(budget=5)

    assert (result.sent, result.unsent) == (0, 1)
    # One row used an attempt finding out; the others were not touched.
    assert sorted(OutgoingEmail.objects.values_list("attempts", flat=True)) == [
        0,
        0,
        0,
        0,
        1,
    ]


def test_sweep_carries_on_past_a_refused_recipient(smtp):
    smtp.reply = "550 5.1.1 No such user"
    due_row(to="gone@example.com")
    due_row(to="gone2@example.com")

    result = outbox.sweep(budget=5)

    assert result.unsent == 2
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {
        Status.FAILED
    }


def test_purge_deletes_only_old_sent_rows():
    old = due_row(
        to="old@example.com",
        status=Status.SENT,
        sent_at=timezone.now() - timedelta(days=40),
    )
    recent = due_row(
        to="recent@example.com", status=Status.SENT, sent_at=timezone.now()
    )
    failed = due_row(to="failed@example.com", status=Status.FAILED)

    assert outbox.purge_sent(timedelta(days=30)) == 1

    assert set(OutgoingEmail.objects.values_list("pk", flat=True)) == {
        recent.pk,
        failed.pk,
    }
    assert not OutgoingEmail.objects.filter(pk=old.pk).exists()


def test_outbox_status_prints_counts_and_the_oldest_pending_age():
    due_row(to="p1@example.com", created_at=timezone.now() - timedelta(minutes=5))
    due_row(to="s1@example.com", status=Status.SENT)

    out = StringIO()
    call_command("outbox_status", stdout=out)

    lines = out.getvalue().splitlines()
    assert "pending  1" in lines
    assert "sent     1" in lines
    assert "failed   0" in lines
    (oldest,) = [line for line in lines if line.startswith("oldest pending:")]
    assert 299 <= int(oldest.split()[-1].rstrip("s")) <= 310
