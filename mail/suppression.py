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

from django.db import transaction
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
    """Record `report`; whether it was about a message of ours."""
    row = _row_of(report)
    if row is None:
        logger.info(
            "%s %s report about no message of ours; ignored",
            report.provider,
            report.kind,
        )
        return False
    _record_on_row(row, report)
    if report.kind == DELIVERED:
        # A delivery breaks a run of soft bounces.
        Suppression.objects.filter(
            address=row.to.lower(), suppressed_at__isnull=True, soft_bounces__gt=0
        ).update(soft_bounces=0, soft_bounce_window_start=None)
        _on_commit(signals.email_delivered)
        return True
    _record_on_address(row, report)
    return True


def _row_of(report: Report) -> OutgoingEmail | None:
    rows = OutgoingEmail.objects.only("id", "to", "sent_at")
    row = None
    if report.outbox_id.isdigit():
        row = rows.filter(pk=int(report.outbox_id)).first()
    if row is None and report.message_id:
        row = rows.filter(provider_message_id=report.message_id).first()
    if row is None or row.to.lower() != report.recipient.lower():
        return None
    return row


def _record_on_row(row: OutgoingEmail, report: Report) -> None:
    delivery = {
        DELIVERED: Delivery.DELIVERED,
        SOFT_BOUNCE: Delivery.SOFT_BOUNCE,
        HARD_BOUNCE: Delivery.BOUNCED,
        COMPLAINT: Delivery.COMPLAINED,
    }[report.kind]
    updates = OutgoingEmail.objects.filter(pk=row.pk)
    if report.kind == DELIVERED:
        # A late "delivered" never hides a bounce or complaint.
        updates = updates.filter(delivery__in=["", Delivery.DELIVERED])
    updates.update(delivery=delivery, delivery_at=timezone.now())


def _record_on_address(row: OutgoingEmail, report: Report) -> None:
    now = timezone.now()
    sent_at = row.sent_at or report.timestamp
    suppression, _created = Suppression.objects.select_for_update().get_or_create(
        address=row.to.lower()
    )
    if suppression.cleared_at and sent_at and sent_at < suppression.cleared_at:
        logger.info(
            "%s %s report about a message sent before the address was cleared; ignored",
            report.provider,
            report.kind,
        )
        return
    detail = report.detail[:500]
    if report.kind == SOFT_BOUNCE:
        _on_commit(signals.email_bounced, hard=False)
        if suppression.is_active or suppression.last_soft_bounce_message == str(row.pk):
            return  # already undeliverable, or this message counted already
        window_start = suppression.soft_bounce_window_start
        if window_start is None or now - window_start > app_settings.SOFT_BOUNCE_WINDOW:
            suppression.soft_bounce_window_start = now
            suppression.soft_bounces = 0
        suppression.soft_bounces += 1
        suppression.last_soft_bounce_message = str(row.pk)
        if suppression.soft_bounces >= app_settings.SOFT_BOUNCE_LIMIT:
            _suppress(suppression, Reason.SOFT_BOUNCES, report, detail, now)
        suppression.save()
        return
    if report.kind == HARD_BOUNCE:
        _on_commit(signals.email_bounced, hard=True)
        reason = Reason.HARD_BOUNCE
    else:
        _on_commit(signals.email_complained)
        reason = Reason.COMPLAINT
    if not suppression.is_active or reason == Reason.COMPLAINT:
        # A complaint outranks a bounce: the person does not want our mail.
        _suppress(suppression, reason, report, detail, now)
    suppression.save()


def _suppress(
    suppression: Suppression,
    reason: str,
    report: Report,
    detail: str,
    now: datetime,
) -> None:
    if not suppression.is_active:
        suppression.suppressed_at = now
        logger.warning(
            "Address marked undeliverable after a %s (%s)", reason, report.provider
        )
    suppression.reason = reason
    suppression.detail = detail
    suppression.provider = report.provider


def _on_commit(signal: Signal, **kwargs: object) -> None:
    transaction.on_commit(partial(signal.send, Suppression, count_of=1, **kwargs))
