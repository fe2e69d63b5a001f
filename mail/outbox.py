"""The transactional outbox: no email is lost between a commit and the inbox.

Life of an `OutgoingEmail` row:

1. `enqueue` writes it, pending, in the transaction of the change that caused
   it. Once that transaction commits, `send_outgoing_email(id)` is queued: the
   fast path. If the broker is down, the row simply waits for the sweeper.
2. A sender claims the row atomically (pending -> sending, with a lease),
   sends it, and marks it sent, wiping the bodies.
3. An SMTP 4xx reply or a connection failure puts it back to pending after an
   exponential backoff with jitter; a 5xx reply, or running out of attempts,
   marks it failed (bodies wiped too). A provider's API is retried only on
   what it calls temporary: 429, 5xx, no answer (providers.py). A row to an
   undeliverable address is not sent at all (suppression.py).
4. `sweep`, run by Celery beat every OUTBOX_SWEEP_INTERVAL seconds, takes back
   rows whose lease ran out (their sender died) and sends every due row over
   one SMTP connection. This delivers whatever the fast path lost: a broker
   down at commit time, a Redis restart that emptied the queue, a killed
   worker, SMTP refusing for hours.

A new email never waits behind a sweep: the sweep task sends for
SWEEP_SLICE seconds at a time and queues the rest of its work behind any
fast-path send (SEND_PRIORITY comes before SWEEP_PRIORITY on the one
queue), so even a worker with one slot sends a new email within a slice.

Delivery is at least once: a sender that dies after the SMTP server accepted a
message, but before the row was marked sent, causes one more copy.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import random
import smtplib
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from anymail.exceptions import AnymailError
from billiard.exceptions import SoftTimeLimitExceeded
from celery import current_app
from django.core.mail import EmailMessage, mailers
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from mail import messages, providers, signals, suppression
from mail.app_settings import app_settings
from mail.models import OutgoingEmail
from ops import request_id
from project.sql import column
from project.sql import insert as sql_insert

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)

Status = OutgoingEmail.Status

# Identical messages (recipient, kind, content) queued within this many
# seconds are one row: a double-submitted form sends one email.
DEDUPE_WINDOW = 600
# No single retry waits longer than this.
MAX_RETRY_DELAY = 4 * 60 * 60
# Bodies hold live links: a row that is sent or failed keeps none.
WIPED_BODIES = {"body_text": "", "body_html": ""}
# SMTP reply codes: 4xx means "try again later", 5xx "never".
SMTP_TRANSIENT = range(400, 500)
SMTP_PERMANENT = range(500, 600)
# Rows a sweeper claims at once: one round trip to the database per batch.
CLAIM_BATCH = 50
# Seconds a sweep task sends before it yields to the fast path: a new
# email waits at most this long, plus the message being sent.
SWEEP_SLICE = 0.5
# Redis serves a queue's priority 0 before 3, 6 and 9 (kombu's steps): the
# fast path first, then a sweep's next slice and the daily purges.
SEND_PRIORITY = 0
SWEEP_PRIORITY = 9
# After the broker refused a publish, skip the fast path for this long, so
# requests during an outage don't each wait on a dead broker.
BROKER_RETRY_AFTER = 5.0


# The fast path's task, named rather than imported: the engine calls no
# task module (mail/tasks.py imports this one).
SEND_TASK = "mail.tasks.send_outgoing_email"


def idempotency_key(kind: str, to: str, *identity: str) -> str:
    """What makes a message the same as another: its kind, its recipient and
    `identity` (its content and the DEDUPE_WINDOW it falls in, unless the
    sender names it)."""
    return hashlib.sha256("\0".join([kind, to, *identity]).encode()).hexdigest()


def html_part(message: EmailMessage) -> str:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return content
    return ""


_by_hand: ContextVar[bool] = ContextVar("mail_requested_by_hand", default=False)


@contextlib.contextmanager
def requested_by_hand() -> Iterator[None]:
    """Mail queued inside is what its recipient asked for themselves, after
    changing something: it goes out even to an undeliverable address. The
    sending app decides when that is so."""
    token = _by_hand.set(True)
    try:
        yield
    finally:
        _by_hand.reset(token)


def enqueue(
    message: EmailMessage,
    *,
    kind: str,
    key: str | None = None,
    send_at: datetime | None = None,
) -> bool:
    """Store a rendered message in the caller's transaction; send it after
    commit. Whether it was stored: a message already queued is not.

    A message is already queued when one of its kind to its recipient has its
    `key`, or, without a key, its content within DEDUPE_WINDOW. `send_at`
    holds it back until then: the row counts as written at that time, so
    nothing waits on it before (the backlog, /readyz), and the sweeper sends
    it once it is due.
    """
    (to,) = message.to
    subject, text, html = str(message.subject), str(message.body), html_part(message)
    identity = (
        [key]
        if key is not None
        else [subject, text, html, str(int(time.time() // DEDUPE_WINDOW))]
    )
    written = max(timezone.now(), send_at) if send_at else timezone.now()
    pk = insert_unless_queued(
        OutgoingEmail(
            idempotency_key=idempotency_key(kind, to, *identity),
            to=to,
            subject=subject,
            body_text=text,
            body_html=html,
            kind=kind,
            request_id=request_id.current.get(),
            requested_by_hand=_by_hand.get(),
            created_at=written,
            # The fast path has one sweep interval to send it; then the
            # sweeper treats it as due.
            next_attempt_at=written + timedelta(seconds=app_settings.SWEEP_INTERVAL),
        )
    )
    if pk is not None and send_at is None:
        transaction.on_commit(partial(_publish, pk))
    return pk is not None


def insert_unless_queued(row: OutgoingEmail) -> int | None:
    """INSERT `row` unless one with its idempotency key exists: its new id,
    or None. One statement (ON CONFLICT DO NOTHING), where get_or_create
    would look first and then insert."""
    sql, values, connection = sql_insert(row)
    key, pk = (
        column(OutgoingEmail, name, connection) for name in ("idempotency_key", "id")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ON CONFLICT ({key}) DO NOTHING RETURNING {pk}", values)
        inserted = cursor.fetchone()
    return inserted[0] if inserted else None


class _Broker:
    """When the broker last refused a publish, in this process."""

    down_until = 0.0


def _publish(pk: int) -> None:
    """Queue the fast path: the row's id only, never its contents."""
    if time.monotonic() < _Broker.down_until:
        return
    try:
        current_app.send_task(
            SEND_TASK,
            args=(pk,),
            headers=request_id.task_headers(),
            priority=SEND_PRIORITY,
        )
    except (OperationalError, RedisError, OSError) as exc:
        _Broker.down_until = time.monotonic() + BROKER_RETRY_AFTER
        logger.warning(
            "Broker unreachable (%s); outgoing email %s waits for the sweeper",
            exc.__class__.__name__,
            pk,
        )


def claim(pk: int) -> OutgoingEmail | None:
    """Take one row for sending, unless someone else has it or it must wait."""
    now = timezone.now()
    claimed = (
        OutgoingEmail.objects.filter(pk=pk, status=Status.PENDING)
        .filter(Q(attempts=0) | Q(next_attempt_at__lte=now))
        .update(
            status=Status.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + app_settings.SENDING_LEASE,
        )
    )
    return OutgoingEmail.objects.get(pk=pk) if claimed else None


def claim_due(limit: int) -> list[OutgoingEmail]:
    """Take up to `limit` of the oldest due rows that no other sender is taking."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[:limit]
        )
        OutgoingEmail.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=Status.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + app_settings.SENDING_LEASE,
        )
    for row in rows:
        row.status = Status.SENDING
        row.attempts += 1
    return rows


def release(rows: list[OutgoingEmail]) -> None:
    """Give back claimed rows that were not tried, with their attempt unused."""
    OutgoingEmail.objects.filter(
        pk__in=[row.pk for row in rows], status=Status.SENDING
    ).update(
        status=Status.PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now(),
    )


def is_transient(exc: BaseException) -> bool:
    """Whether a failure may clear up by itself: SMTP 4xx, network, time
    limit; from a provider's API, only what it calls temporary (providers.py)."""
    if providers.is_provider_error(exc):
        return providers.is_transient(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code in SMTP_TRANSIENT for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code not in SMTP_PERMANENT
    return isinstance(exc, (OSError, SoftTimeLimitExceeded))


def is_connection_failure(exc: BaseException) -> bool:
    """A failure of the mail server or provider as a whole, not of one message."""
    if providers.is_provider_error(exc):
        return providers.refuses_us(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
        return False
    return is_transient(exc)


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: half the step, plus up to half again."""
    step = min(app_settings.RETRY_BACKOFF * 2 ** (attempts - 1), MAX_RETRY_DELAY)
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 (not a secret)


class Outcome(enum.Enum):
    SENT = "sent"
    REFUSED = "refused"  # deferred or failed; the server itself works
    SERVER_DOWN = "server down"


def send(row: OutgoingEmail, connection: BaseEmailBackend) -> Outcome:
    """Send a claimed row over `connection` (opened if need be); record how it went."""
    # The worker's lines about this email carry the id of the request that
    # queued it, whichever task sends it (the fast path or a sweep).
    token = request_id.current.set(row.request_id)
    try:
        return _send(row, connection)
    finally:
        request_id.current.reset(token)


def _send(row: OutgoingEmail, connection: BaseEmailBackend) -> Outcome:
    if suppression.blocks(row):
        _record_suppressed(row)
        return Outcome.REFUSED
    message = messages.compose(row, connection)
    try:
        connection.open()
        connection.send_messages([message])
    except (Exception, SoftTimeLimitExceeded) as exc:  # noqa: BLE001
        # Every failure is classified; none may leave the row in "sending".
        _close_quietly(connection)
        _record_failure(row, exc)
        return Outcome.SERVER_DOWN if is_connection_failure(exc) else Outcome.REFUSED
    _record_sent(
        row,
        message_id=message.extra_headers["Message-ID"],
        provider_message_id=messages.provider_message_id(message)[:255],
    )
    logger.info("Sent %s email %s", row.kind, row.pk)
    signals.email_sent.send(OutgoingEmail, count_of=1)
    return Outcome.SENT


def _record_sent(row: OutgoingEmail, **ids: str) -> None:
    """Mark `row` sent, through a short database outage too.

    The server has the message now: a row left "sending" would be taken back
    when its lease ran out, and sent again. So a failed write is tried again,
    on a fresh connection, until half the lease has gone.
    """
    give_up_at = time.monotonic() + app_settings.SENDING_LEASE.total_seconds() / 2
    pause = 0.25
    while True:
        try:
            OutgoingEmail.objects.filter(pk=row.pk, status=Status.SENDING).update(
                status=Status.SENT,
                sent_at=timezone.now(),
                **WIPED_BODIES,
                last_error="",
                **ids,
            )
        except (DatabaseOperationalError, DatabaseInterfaceError):
            if time.monotonic() + pause > give_up_at:
                logger.exception(
                    "Sent %s email %s but could not record it; it will be sent "
                    "again when its lease ends",
                    row.kind,
                    row.pk,
                )
                raise
            db_connection.close()  # the next query connects afresh
            time.sleep(pause)
            pause = min(pause * 2, 4)
        else:
            return


def _record_failure(row: OutgoingEmail, exc: BaseException) -> None:
    error = f"{exc.__class__.__name__}: {exc}"[:500]
    live = OutgoingEmail.objects.filter(pk=row.pk, status=Status.SENDING)
    if is_transient(exc) and row.attempts < app_settings.MAX_ATTEMPTS:
        delay = retry_delay(row.attempts)
        live.update(
            status=Status.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            last_error=error,
        )
        logger.warning(
            "Deferred %s email %s after attempt %d of %d; next in %.0fs: %s",
            row.kind,
            row.pk,
            row.attempts,
            app_settings.MAX_ATTEMPTS,
            delay,
            error,
        )
        signals.email_deferred.send(OutgoingEmail, count_of=1)
    else:
        live.update(status=Status.FAILED, last_error=error, **WIPED_BODIES)
        signals.email_failed.send(OutgoingEmail, count_of=1)
        logger.error(
            "Gave up on %s email %s after %d attempt(s): %s",
            row.kind,
            row.pk,
            row.attempts,
            error,
        )


def _record_suppressed(row: OutgoingEmail) -> None:
    OutgoingEmail.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.SUPPRESSED,
        last_error="Not sent: the address is marked undeliverable.",
        **WIPED_BODIES,
    )
    signals.email_suppressed.send(OutgoingEmail, count_of=1)
    logger.warning("Did not send %s email %s: undeliverable address", row.kind, row.pk)


def _close_quietly(connection: BaseEmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError, AnymailError):
        connection.close()


def deliver(pk: int) -> None:
    """The fast path: send one row right after the request committed it."""
    row = claim(pk)
    if row is None:
        return  # already sent, being sent, or waiting for its retry time
    connection = mailers.default
    try:
        send(row, connection)
    finally:
        _close_quietly(connection)


@dataclass
class SweepResult:
    reclaimed: int = 0
    sent: int = 0
    unsent: int = 0
    # The budget ran out before the due rows did: there may be more to send.
    more: bool = False


def reclaim_expired_leases() -> int:
    """Rows stuck in "sending" past their lease: their sender died."""
    expired = OutgoingEmail.objects.filter(
        status=Status.SENDING, next_attempt_at__lte=timezone.now()
    )
    given_up = expired.filter(attempts__gte=app_settings.MAX_ATTEMPTS).update(
        status=Status.FAILED,
        **WIPED_BODIES,
        last_error="The sender stopped mid-send on the last attempt.",
    )
    if given_up:
        signals.email_failed.send(OutgoingEmail, count_of=given_up)
    count = expired.update(
        status=Status.PENDING,
        next_attempt_at=timezone.now(),
        last_error="The sender stopped mid-send; sending again.",
    )
    if count:
        logger.warning("Took back %d outgoing email(s) from dead senders", count)
    return count


def sweep(budget: float, *, reclaim: bool = True) -> SweepResult:
    """Take back abandoned rows (unless `reclaim` is False), then send due
    rows for up to `budget` seconds.

    Rows are claimed a batch at a time and sent over one SMTP connection, so
    a backlog of any size drains in constant memory, and two sweepers (or a
    sweeper and the fast path) never send the same row. A row is never sent
    late in its lease, nor after the budget: the rest of a batch goes back to
    pending, and `more` says so.
    """
    result = SweepResult(reclaimed=reclaim_expired_leases() if reclaim else 0)
    deadline = time.monotonic() + budget
    connection = mailers.default
    try:
        while time.monotonic() < deadline:
            batch = claim_due(CLAIM_BATCH)
            if not batch:
                break
            if not _send_batch(batch, connection, deadline, result):
                break
        else:
            result.more = True
    finally:
        _close_quietly(connection)
    if result.sent or result.unsent or result.reclaimed:
        logger.info(
            "Outbox sweep: %d sent, %d not sent, %d taken back",
            result.sent,
            result.unsent,
            result.reclaimed,
        )
    return result


def _send_batch(
    batch: list[OutgoingEmail],
    connection: BaseEmailBackend,
    deadline: float,
    result: SweepResult,
) -> bool:
    """Send a claimed batch, giving back what is left when the time is up;
    False when the SMTP server is down and the sweep should stop."""
    lease_half_gone = time.monotonic() + app_settings.SENDING_LEASE.total_seconds() / 2
    for index, row in enumerate(batch):
        if time.monotonic() > min(deadline, lease_half_gone):
            release(batch[index:])
            return True
        outcome = send(row, connection)
        if outcome is Outcome.SENT:
            result.sent += 1
            continue
        result.unsent += 1
        if outcome is Outcome.SERVER_DOWN:
            release(batch[index + 1 :])  # they wait for the next sweep
            return False
    return True


def purge_sent(
    older_than: timedelta, rows: QuerySet[OutgoingEmail] | None = None
) -> int:
    """Delete sent rows (metadata only by now) older than `older_than`,
    among `rows` (every row, by default)."""
    rows = OutgoingEmail.objects.all() if rows is None else rows
    cutoff = timezone.now() - older_than
    deleted, _by_model = rows.filter(status=Status.SENT, sent_at__lt=cutoff).delete()
    return deleted


def _waiting(now: datetime) -> dict:
    """How many rows wait to be sent, and when the oldest was written; rows
    held back for later (`enqueue`'s send_at) wait from then on. One query
    on the (status, created_at) index."""
    return OutgoingEmail.objects.filter(
        status=Status.PENDING, created_at__lte=now
    ).aggregate(count=Count("pk"), oldest=Min("created_at"))


def backlog() -> tuple[int, float | None]:
    """How many rows wait to be sent, and the age in seconds of the oldest."""
    now = timezone.now()
    waiting = _waiting(now)
    oldest = waiting["oldest"]
    return waiting["count"], (now - oldest).total_seconds() if oldest else None


def health() -> dict:
    """Counts by status and the age of the oldest pending row, for operators."""
    counts = dict.fromkeys(Status.values, 0)
    counts.update(
        OutgoingEmail.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    now = timezone.now()
    oldest = _waiting(now)["oldest"]
    return {
        "counts": counts,
        "oldest_pending_age": (now - oldest) if oldest else None,
    }
