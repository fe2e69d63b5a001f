"""The outbox's settings, each read at use with its default (allauth's style):
tests and operators change them in Django settings, never here."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


class AppSettings:
    @property
    def RETRY_BACKOFF(self) -> int:
        """Seconds before the first retry of a deferred or unconnectable
        delivery; each retry waits about twice as long, up to MAX_RETRY_DELAY."""
        return getattr(settings, "EMAIL_RETRY_BACKOFF", 60)

    @property
    def MAX_ATTEMPTS(self) -> int:
        """Attempts before a message is marked failed: about a day of trying."""
        return getattr(settings, "OUTBOX_MAX_ATTEMPTS", 14)

    @property
    def SWEEP_INTERVAL(self) -> int:
        """Seconds between sweeps; a row the fast path did not send is due one
        interval after it was written."""
        return getattr(settings, "OUTBOX_SWEEP_INTERVAL", 30)

    @property
    def SENDING_LEASE(self) -> timedelta:
        """How long a sender may hold a row before the sweeper decides it died."""
        return timedelta(seconds=getattr(settings, "OUTBOX_SENDING_LEASE", 120))

    @property
    def RETENTION(self) -> timedelta:
        """How long sent rows (metadata only) are kept."""
        return timedelta(days=getattr(settings, "OUTBOX_RETENTION_DAYS", 30))

    @property
    def RESENDER(self) -> str | None:
        """Import path of `resend(request, email) -> bool`, the sending app's
        policy for the admin's "Retry failed emails now": send a fresh message
        of the same kind, or say it cannot. Without one, the action is off."""
        return getattr(settings, "MAIL_RESENDER", None)

    @property
    def KINDS(self) -> str | None:
        """Import path of the sending app's `TextChoices` of kinds, whose
        labels the admin shows in place of the stored values."""
        return getattr(settings, "MAIL_KINDS", None)

    @property
    def SOFT_BOUNCE_LIMIT(self) -> int:
        """Soft bounces of distinct messages, within SOFT_BOUNCE_WINDOW, that
        make an address undeliverable as a hard bounce does."""
        return getattr(settings, "MAIL_SOFT_BOUNCE_LIMIT", 3)

    @property
    def SOFT_BOUNCE_WINDOW(self) -> timedelta:
        return timedelta(days=getattr(settings, "MAIL_SOFT_BOUNCE_WINDOW_DAYS", 7))

    @property
    def WEBHOOK_MAX_AGE(self) -> timedelta:
        """A webhook call whose timestamp is older than this is refused; one
        younger is refused if its token or event was seen already. Longer than
        the providers retry for (Postmark: about 10 hours)."""
        return timedelta(seconds=getattr(settings, "MAIL_WEBHOOK_MAX_AGE", 12 * 3600))

    @property
    def SITE_NAME(self) -> str:
        """The display name of every From: header."""
        return getattr(settings, "SITE_NAME", "")

    @property
    def PUBLIC_URL(self) -> str:
        """Its host is the domain of our Message-IDs."""
        return getattr(settings, "PUBLIC_URL", "")

    @property
    def DKIM_SELECTOR(self) -> str:
        return getattr(settings, "DKIM_SELECTOR", "")

    @property
    def DKIM_PRIVATE_KEY(self) -> str:
        """PEM; SMTP mail is signed only with both this and DKIM_SELECTOR."""
        return getattr(settings, "DKIM_PRIVATE_KEY", "")


app_settings = AppSettings()
