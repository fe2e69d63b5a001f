"""The activity log's tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One security event of one account, written with what it records."""

    class Type(models.TextChoices):
        SIGNUP = "signup", _("Signed up")
        EMAIL_VERIFIED = "email_verified", _("Email address verified")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        EMAIL_ADDED = "email_added", _("Email address added")
        EMAIL_CHANGED = "email_changed", _("Email address changed")
        EMAIL_REMOVED = "email_removed", _("Email address removed")
        MFA_ENABLED = "mfa_enabled", _("Two-step verification added")
        MFA_DISABLED = "mfa_disabled", _("Two-step verification removed")
        RECOVERY_CODES_REGENERATED = (
            "recovery_codes_regenerated",
            _("New recovery codes made"),
        )
        SESSION_ENDED = "session_ended", _("Device signed out")
        # Other apps that sign in through this service (identity/).
        APP_AUTHORIZED = "app_authorized", _("Signed in to an app")
        APP_REVOKED = "app_revoked", _("App access revoked")
        # Sign-in providers such as Kakao or Google (social/).
        PROVIDER_CONNECTED = "provider_connected", _("Sign-in provider connected")
        PROVIDER_DISCONNECTED = (
            "provider_disconnected",
            _("Sign-in provider disconnected"),
        )
        ACCOUNT_DELETED = "account_deleted", _("Account deleted")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
        db_index=False,  # activity_event_user_idx leads with the user
    )
    email = models.CharField(
        _("email address"),
        max_length=254,
        help_text=_(
            "The account's address at the time; a pseudonym once the account "
            "is deleted."
        ),
    )
    type = models.CharField(_("event"), max_length=32, choices=Type)
    at = models.DateTimeField(_("when"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at", "-pk"]
        indexes = [
            # A person's events, newest first, a page at a time.
            models.Index(fields=["user", "-at", "-id"], name="activity_event_user_idx"),
            # The daily purge, and staff's filter by type.
            models.Index(fields=["at"], name="activity_event_at_idx"),
            models.Index(fields=["type", "-at"], name="activity_event_type_idx"),
            models.Index(fields=["email"], name="activity_event_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.email} at {self.at:%Y-%m-%d %H:%M}"


class KnownDevice(models.Model):
    """A device (browser family, OS and network) an account signed in from."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="known_devices",
        # The unique (user, fingerprint) index serves lookups by user too.
        db_index=False,
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    description = models.CharField(_("device"), max_length=200, blank=True)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("known device")
        verbose_name_plural = _("known devices")
        constraints = [
            # The one indexed lookup a sign-in makes.
            models.UniqueConstraint(
                fields=["user", "fingerprint"], name="activity_device_unique"
            )
        ]

    def __str__(self) -> str:
        return self.description or self.fingerprint
