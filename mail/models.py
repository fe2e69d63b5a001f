"""The outbox table: every email on its way out, one row each."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    """One email on its way out: the transactional outbox (mail/outbox.py).

    The row is written in the same transaction as the change that caused the
    email, so a committed signup always has its email, and a rolled-back one
    never does. Bodies hold live links; they are wiped once the row is sent
    or has failed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    to = models.EmailField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=32,
        help_text=_("What the message is, in the words of the app that sent it."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        default=timezone.now,
        help_text=_(
            "Pending: when the sweeper may send it. Sending: when the sender's "
            "lease runs out and the row is taken back."
        ),
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    request_id = models.CharField(
        _("request id"),
        max_length=128,
        blank=True,
        help_text=_(
            "The request that queued it, so its sending can be found in the "
            "logs beside that request's lines."
        ),
    )
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=64,
        unique=True,
        help_text=_("The same message is never queued twice."),
    )

    class Meta:
        # Created by the users app before the outbox had an app of its own.
        db_table = "users_outgoingemail"
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [
            # The sweeper's only questions: which live rows are due? Sent and
            # failed rows, the vast majority, stay out of this index.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="outgoing_email_due_idx",
            ),
            models.Index(
                fields=["status", "created_at"], name="outgoing_email_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.get_status_display()})"
