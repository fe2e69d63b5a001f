"""A person's authorization of an app, and the tokens issued under it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Grant(models.Model):
    """The tokens issued from one authorization code, and every refresh of
    them: what a reused code, an ended session or the person revokes at once.

    Each of allauth's tokens under it carries its id (`Token.data["grant"]`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="app_grants",
    )
    client = models.ForeignKey(
        "allauth_idp_oidc.Client",
        verbose_name=_("app"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    session_digest = models.CharField(
        _("session"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_(
            "A digest of the browser session the person authorized the app "
            "from: ending that session revokes these tokens."
        ),
    )
    scopes = models.TextField(_("scopes"), blank=True)
    created_at = models.DateTimeField(_("authorized"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires"),
        help_text=_("When the last token issued under it expires."),
    )

    class Meta:
        verbose_name = _("app authorization")
        verbose_name_plural = _("app authorizations")
        indexes = [
            models.Index(fields=["user", "client"], name="identity_grant_user_idx"),
            models.Index(fields=["expires_at"], name="identity_grant_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} for user #{self.user_id}"

    def get_scopes(self) -> list[str]:
        return self.scopes.split()
