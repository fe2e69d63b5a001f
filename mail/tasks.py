"""Celery tasks: thin wrappers around `mail.outbox`."""

from __future__ import annotations

import time
from datetime import UTC, datetime

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
def sweep_outbox(until: float | None = None) -> None:
    """A sweep works for one interval (the next, due by then, carries on),
    one slice per task: between slices, the rest of it waits in the queue
    behind any new email, so a worker with one slot never makes a new
    email wait for a whole sweep. `until` is the sweep's end (a Unix time),
    passed from slice to slice."""
    first = until is None
    if until is None:
        until = time.time() + _SWEEP
    budget = min(outbox.SWEEP_SLICE, until - time.time())
    result = outbox.sweep(budget=max(budget, 0), reclaim=first)
    if result.more and time.time() < until:
        sweep_outbox.apply_async(
            kwargs={"until": until},
            priority=outbox.SWEEP_PRIORITY,
            expires=datetime.fromtimestamp(until, UTC),
        )


@shared_task
def purge_sent_emails() -> None:
    outbox.purge_sent(app_settings.RETENTION)


@shared_task
def purge_webhook_receipts() -> None:
    webhooks.purge_receipts()
