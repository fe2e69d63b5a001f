"""Celery tasks: thin wrappers around `mail.outbox`."""

from __future__ import annotations

from celery import shared_task

from mail import outbox, webhooks
from mail.app_settings import app_settings

# A task must finish well inside the lease on the row it holds, or the
# sweeper would take the row back and send it a second time.
_LEASE = int(app_settings.SENDING_LEASE.total_seconds())
_SWEEP = app_settings.SWEEP_INTERVAL


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
    outbox.purge_sent(app_settings.RETENTION)


@shared_task
def purge_webhook_receipts() -> None:
    webhooks.purge_receipts()
