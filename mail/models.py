"""The outbox table: every email on its way out, one row each."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
        # Not sent: the address is undeliverable (mail/suppression.py).
        SUPPRESSED = "suppressed", _("not sent: undeliverable address")

    class Delivery(models.TextChoices):
        """What the provider reported after it took the message (webhooks)."""

        DELIVERED = "delivered", _("delivered")
        SOFT_BOUNCE = "soft_bounce", _("soft bounce")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complaint")

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
    requested_by_hand = models.BooleanField(
        _("asked for by hand"),
        default=False,
        help_text=_(
            "The recipient asked for it themselves, after changing something: "
            "it goes out even to an address marked undeliverable."
        ),
    )
    message_id = models.CharField(
        _("Message-ID"),
        max_length=255,
        blank=True,
        help_text=_("The Message-ID header it was sent with."),
    )
    provider_message_id = models.CharField(
        _("provider's message id"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_(
            "The id the email service provider gave it; its webhooks name the "
            "message by it."
        ),
    )
    delivery = models.CharField(
        _("delivery"),
        max_length=16,
        choices=Delivery,
        blank=True,
        help_text=_("What the provider last reported about it."),
    )
    delivery_at = models.DateTimeField(_("delivery reported"), null=True, blank=True)

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


class Suppression(models.Model):
    """An address's standing with the providers: undeliverable or not, and
    its recent soft bounces.

    A hard bounce or a complaint makes it undeliverable at once; several soft
    bounces within a window do too (mail/suppression.py). The outbox sends
    nothing to an undeliverable address but what the recipient asked for by
    hand. Clearing it (staff, or the address verified again) keeps the row,
    so that reports about mail sent before then change nothing.
    """

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("hard bounce")
        COMPLAINT = "complaint", _("spam complaint")
        SOFT_BOUNCES = "soft_bounces", _("repeated soft bounces")

    address = models.EmailField(_("address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason, blank=True)
    detail = models.CharField(
        _("detail"),
        max_length=500,
        blank=True,
        help_text=_("The provider's description or the receiving server's reply."),
    )
    provider = models.CharField(_("reported by"), max_length=32, blank=True)
    suppressed_at = models.DateTimeField(
        _("undeliverable since"),
        null=True,
        blank=True,
        help_text=_("Empty while mail may go to the address."),
    )
    cleared_at = models.DateTimeField(
        _("cleared"),
        null=True,
        blank=True,
        help_text=_("Reports about mail sent before this are ignored."),
    )
    cleared_by = models.CharField(_("cleared by"), max_length=64, blank=True)
    soft_bounces = models.PositiveSmallIntegerField(_("soft bounces"), default=0)
    soft_bounce_window_start = models.DateTimeField(
        _("first soft bounce of the window"), null=True, blank=True
    )
    last_soft_bounce_message = models.CharField(
        _("last soft-bounced message"), max_length=255, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("undeliverable address")
        verbose_name_plural = _("undeliverable addresses")
        ordering = ["-suppressed_at", "-updated_at"]
        indexes = [
            models.Index(
                fields=["address"],
                condition=models.Q(suppressed_at__isnull=False),
                name="suppression_active_idx",
            )
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def is_active(self) -> bool:
        return self.suppressed_at is not None


class WebhookReceipt(models.Model):
    """A provider's webhook call or event already taken: a second one with
    the same key is a replay (mail/webhooks.py). Written in the transaction
    that applies the event, so a failure leaves the provider free to retry;
    purged once older than MAIL_WEBHOOK_MAX_AGE, when age alone refuses it."""

    provider = models.CharField(
        pgettext_lazy("email service", "provider"), max_length=32
    )
    key = models.CharField(_("key"), max_length=64)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook receipt")
        verbose_name_plural = _("webhook receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "key"], name="webhook_receipt_unique"
            )
        ]
        indexes = [models.Index(fields=["received_at"], name="webhook_receipt_age")]

    def __str__(self) -> str:
        return f"{self.provider} {self.key}"
