"""What staff decide about each provider, and connections waiting for the
account owner's approval."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long an approval link works.
APPROVAL_LIFETIME = timedelta(days=1)


class ProviderPolicy(models.Model):
    """Staff's word on one sign-in provider."""

    class Provider(models.TextChoices):
        KAKAO = "kakao", "Kakao"
        NAVER = "naver", "Naver"
        GOOGLE = "google", "Google"
        OIDC = "oidc", _("OpenID Connect (OIDC_RP_ISSUER)")

    provider = models.CharField(
        _("provider"), max_length=20, choices=Provider, unique=True
    )
    trusted_for_email = models.BooleanField(
        _("trusted for email"),
        default=False,
        help_text=_(
            "Believe this provider when it says an address is verified: such "
            "an address is stored as verified, and the owner of an account "
            "with it is mailed a link to connect the provider. Leave it off "
            "unless the provider verifies every address it reports. Naver "
            "asserts nothing, so its addresses are never verified here."
        ),
    )

    class Meta:
        verbose_name = _("sign-in provider")
        verbose_name_plural = _("sign-in providers")

    def __str__(self) -> str:
        return self.get_provider_display()


class PendingConnection(models.Model):
    """An identity at a provider, waiting for the owner of the account with
    its address to approve connecting it (by a link mailed to them)."""

    key_digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    provider = models.CharField(_("provider"), max_length=200)
    uid = models.CharField(_("subject at the provider"), max_length=191)
    email = models.EmailField(_("email address"), max_length=254)
    extra_data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("connection waiting for approval")
        verbose_name_plural = _("connections waiting for approval")

    def __str__(self) -> str:
        return f"{self.provider} for user #{self.user_id}"

    @property
    def expired(self) -> bool:
        return timezone.now() > self.created_at + APPROVAL_LIFETIME
