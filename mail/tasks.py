"""Celery tasks: thin wrappers around `users.outbox`."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from users import outbox

# A task must finish well inside the lease on the row it holds, or the
# sweeper would take the row back and send it a second time.
_LEASE = settings.OUTBOX_SENDING_LEASE
_SWEEP = settings.OUTBOX_SWEEP_INTERVAL


@shared_task(
    # acks_late and reject_on_worker_lost: a worker killed mid-send leaves
    # the message on the broker instead of losing it. (The outbox would
    # deliver it anyway; this only makes the retry sooner.)
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=_LEASE // 2,
    time_limit=_LEASE * 3 // 4,
)
def send_outgoing_email(outgoing_email_id: int) -> None:
    outbox.deliver(outgoing_email_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=_SWEEP + _LEASE // 2,
    time_limit=_SWEEP + _LEASE * 3 // 4,
)
def sweep_outbox() -> None:
    # Work for one interval; the next sweep, due by then, carries on.
    outbox.sweep(budget=_SWEEP)


@shared_task
def purge_sent_emails() -> None:
    outbox.purge_sent(timedelta(days=settings.OUTBOX_RETENTION_DAYS))
