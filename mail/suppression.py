"""Undeliverable addresses: what bounces and complaints do to an address.

Providers report on the messages they took (mail/webhooks.py turns each
report into a `Report`); `apply` records it:

- on the outbox row it is about (delivered, soft bounce, bounced,
  complained), found by the row id we gave the provider as metadata or by
  the provider's message id, and only if the report's recipient is that
  row's: a report about a message or an address we don't know changes
  nothing;
- on the address (`Suppression`): a hard bounce or a complaint makes it
  undeliverable at once; a soft bounce only counts, and MAIL_SOFT_BOUNCE_LIMIT
  of them (distinct messages, none delivered in between) within
  MAIL_SOFT_BOUNCE_WINDOW_DAYS make it undeliverable too.

The outbox then sends nothing to the address (`blocks`) except what the
recipient asks for by hand (`OutgoingEmail.requested_by_hand`), until it is
cleared: by staff in the admin, or by the sending app's policy when the
person proves the mailbox again (users/ clears it when the address is
verified). Reports about mail sent before a clearing change nothing, so a
late bounce cannot undo it.

This app knows addresses, not people: who is told, and how, is the sending
app's policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from mail import signals
from mail.app_settings import app_settings
from mail.models import OutgoingEmail, Suppression

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from django.dispatch import Signal

logger = logging.getLogger(__name__)

Delivery = OutgoingEmail.Delivery
Reason = Suppression.Reason

# What a report says happened, in our words.
DELIVERED = "delivered"
SOFT_BOUNCE = "soft_bounce"
HARD_BOUNCE = "hard_bounce"
COMPLAINT = "complaint"
KINDS = (DELIVERED, SOFT_BOUNCE, HARD_BOUNCE, COMPLAINT)


@dataclass(frozen=True)
class Report:
    """One provider's report about one message to one recipient."""

    provider: str
    kind: str  # one of KINDS
    recipient: str
    message_id: str = ""  # the provider's id of the message
    outbox_id: str = ""  # our row's id, echoed from the message's metadata
    timestamp: datetime | None = None
    detail: str = ""


def blocks(row: OutgoingEmail) -> bool:
    """Whether `row` must not be sent: its address is undeliverable, and its
    recipient did not ask for it by hand."""
    if row.requested_by_hand:
        return False
    return Suppression.objects.filter(
        address=row.to.lower(), suppressed_at__isnull=False
    ).exists()


def undeliverable(addresses: Iterable[str]) -> dict[str, Suppression]:
    """Those of `addresses` that are undeliverable, each with its record."""
    wanted = {address.lower() for address in addresses}
    return {
        s.address: s
        for s in Suppression.objects.filter(
            address__in=wanted, suppressed_at__isnull=False
        )
    }


def clear(address: str, *, by: str) -> bool:
    """Let mail go to `address` again; whether it was undeliverable. Reports
    about mail sent before now will change nothing."""
    now = timezone.now()
    cleared = Suppression.objects.filter(
        address=address.lower(), suppressed_at__isnull=False
    ).update(
        suppressed_at=None,
        reason="",
        soft_bounces=0,
        soft_bounce_window_start=None,
        last_soft_bounce_message="",
        cleared_at=now,
        cleared_by=by[:64],
        updated_at=now,
    )
    if cleared:
        logger.info("Address cleared for mail by %s", by)
    return bool(cleared)


def apply(report: Report) -> bool:
    """Record `report`; whether it was about a message of ours.

    A few statements, since providers post many: the row is found and
    marked in one UPDATE, and a hard bounce or complaint lands on the
    address in one upsert. Soft bounces, which count, take a row lock."""
    row = _record_on_row(report)
    if row is None:
        logger.info(
            "%s %s report about no message of ours; ignored",
            report.provider,
            report.kind,
        )
        return False
    row_id, address, sent_at = row
    if report.kind == DELIVERED:
        # A delivery breaks a run of soft bounces.
        Suppression.objects.filter(
            address=address, suppressed_at__isnull=True, soft_bounces__gt=0
        ).update(soft_bounces=0, soft_bounce_window_start=None)
        _on_commit(signals.email_delivered)
    elif report.kind == SOFT_BOUNCE:
        _on_commit(signals.email_bounced, hard=False)
        _count_soft_bounce(row_id, address, sent_at or report.timestamp, report)
    else:
        if report.kind == HARD_BOUNCE:
            _on_commit(signals.email_bounced, hard=True)
        else:
            _on_commit(signals.email_complained)
        _suppress_at_once(address, sent_at or report.timestamp, report)
    return True


DELIVERY = {
    DELIVERED: Delivery.DELIVERED,
    SOFT_BOUNCE: Delivery.SOFT_BOUNCE,
    HARD_BOUNCE: Delivery.BOUNCED,
    COMPLAINT: Delivery.COMPLAINED,
}


def _record_on_row(report: Report) -> tuple[int, str, datetime | None] | None:
    """Mark the row the report is about, found by the id we gave the
    provider or by the provider's id, and only if the report's recipient is
    its recipient: (id, address, sent_at), or None. A late "delivered"
    never hides a bounce or a complaint."""
    meta = OutgoingEmail._meta
    column = {
        f.name: connection.ops.quote_name(f.column or f.name)
        for f in meta.concrete_fields
    }
    outbox_id = int(report.outbox_id) if report.outbox_id.isdigit() else -1
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET "  # noqa: S608 (names from the model)
        f"{column['delivery']} = CASE WHEN %(delivered)s AND "
        f"{column['delivery']} NOT IN ('', %(delivered_value)s) "
        f"THEN {column['delivery']} ELSE %(delivery)s END, "
        f"{column['delivery_at']} = %(now)s "
        f"WHERE ({column['id']} = %(outbox_id)s OR (%(message_id)s <> '' AND "
        f"{column['provider_message_id']} = %(message_id)s)) "
        f"AND {column['to']} = %(to)s "
        f"RETURNING {column['id']}, {column['to']}, {column['sent_at']}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "delivered": report.kind == DELIVERED,
                "delivered_value": Delivery.DELIVERED.value,
                "delivery": DELIVERY[report.kind].value,
                "now": timezone.now(),
                "outbox_id": outbox_id,
                "message_id": report.message_id[:255],
                "to": report.recipient.lower(),
            },
        )
        return cursor.fetchone()


def _suppress_at_once(address: str, sent_at: datetime | None, report: Report) -> None:
    """A hard bounce or a complaint: undeliverable now, in one upsert. A
    complaint outranks a bounce (the person does not want our mail); a
    report about mail sent before the address was cleared changes nothing."""
    reason = Reason.HARD_BOUNCE if report.kind == HARD_BOUNCE else Reason.COMPLAINT
    table = connection.ops.quote_name(Suppression._meta.db_table)
    takes = "(s.suppressed_at IS NULL OR EXCLUDED.reason = %(complaint)s)"
    sql = (
        f"INSERT INTO {table} AS s (address, reason, detail, provider, "  # noqa: S608 (names from the model)
        "suppressed_at, cleared_by, soft_bounces, last_soft_bounce_message, "
        "updated_at) VALUES (%(address)s, %(reason)s, %(detail)s, %(provider)s, "
        "%(now)s, '', 0, '', %(now)s) "
        "ON CONFLICT (address) DO UPDATE SET "
        f"reason = CASE WHEN {takes} THEN EXCLUDED.reason ELSE s.reason END, "
        f"detail = CASE WHEN {takes} THEN EXCLUDED.detail ELSE s.detail END, "
        f"provider = CASE WHEN {takes} THEN EXCLUDED.provider ELSE s.provider END, "
        "suppressed_at = COALESCE(s.suppressed_at, EXCLUDED.suppressed_at), "
        "updated_at = EXCLUDED.updated_at "
        "WHERE s.cleared_at IS NULL OR %(sent)s::timestamptz IS NULL "
        "OR %(sent)s::timestamptz >= s.cleared_at "
        "RETURNING suppressed_at"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "address": address,
                "reason": reason.value,
                "complaint": Reason.COMPLAINT.value,
                "detail": report.detail[:500],
                "provider": report.provider[:32],
                "now": now,
                "sent": sent_at,
            },
        )
        changed = cursor.fetchone()
    if changed is None:
        logger.info(
            "%s %s report about a message sent before the address was cleared; ignored",
            report.provider,
            report.kind,
        )
    elif changed[0] == now:
        logger.warning(
            "Address marked undeliverable after a %s (%s)", reason, report.provider
        )


def _count_soft_bounce(
    row_id: int, address: str, sent_at: datetime | None, report: Report
) -> None:
    """A soft bounce counts, once per message, within the window; the
    limit-th makes the address undeliverable. One upsert, which locks the
    address's row as it counts."""
    table = connection.ops.quote_name(Suppression._meta.db_table)
    fresh = (
        "(s.soft_bounce_window_start IS NULL "
        "OR s.soft_bounce_window_start < %(window_start)s)"
    )
    count = f"(CASE WHEN {fresh} THEN 1 ELSE s.soft_bounces + 1 END)"
    reached = f"({count} >= %(limit)s)"
    sql = (
        f"INSERT INTO {table} AS s (address, reason, detail, provider, "  # noqa: S608 (names from the model)
        "suppressed_at, cleared_by, soft_bounces, soft_bounce_window_start, "
        "last_soft_bounce_message, updated_at) VALUES (%(address)s, "
        "CASE WHEN %(limit)s <= 1 THEN %(reason)s ELSE '' END, "
        "CASE WHEN %(limit)s <= 1 THEN %(detail)s ELSE '' END, "
        "CASE WHEN %(limit)s <= 1 THEN %(provider)s ELSE '' END, "
        "CASE WHEN %(limit)s <= 1 THEN %(now)s END, "
        "'', 1, %(now)s, %(message)s, %(now)s) "
        "ON CONFLICT (address) DO UPDATE SET "
        f"reason = CASE WHEN {reached} THEN %(reason)s ELSE s.reason END, "
        f"detail = CASE WHEN {reached} THEN %(detail)s ELSE s.detail END, "
        f"provider = CASE WHEN {reached} THEN %(provider)s ELSE s.provider END, "
        f"suppressed_at = CASE WHEN {reached} THEN %(now)s END, "
        f"soft_bounces = {count}, "
        f"soft_bounce_window_start = CASE WHEN {fresh} THEN %(now)s "
        "ELSE s.soft_bounce_window_start END, "
        "last_soft_bounce_message = %(message)s, updated_at = %(now)s "
        # Not while undeliverable already, nor twice for one message, nor
        # for mail sent before the address was cleared.
        "WHERE s.suppressed_at IS NULL AND s.last_soft_bounce_message <> %(message)s "
        "AND (s.cleared_at IS NULL OR %(sent)s::timestamptz IS NULL "
        "OR %(sent)s::timestamptz >= s.cleared_at) "
        "RETURNING suppressed_at"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "address": address,
                "reason": Reason.SOFT_BOUNCES.value,
                "detail": report.detail[:500],
                "provider": report.provider[:32],
                "now": now,
                "window_start": now - app_settings.SOFT_BOUNCE_WINDOW,
                "limit": app_settings.SOFT_BOUNCE_LIMIT,
                "message": str(row_id),
                "sent": sent_at,
            },
        )
        changed = cursor.fetchone()
    if changed is not None and changed[0] == now:
        logger.warning(
            "Address marked undeliverable after repeated soft bounces (%s)",
            report.provider,
        )


def _on_commit(signal: Signal, **kwargs: object) -> None:
    transaction.on_commit(partial(signal.send, Suppression, count_of=1, **kwargs))
