"""Sign-in providers in the admin: staff's trust flag, and no page that
shows a provider's secret or a stored token (providers are configured from
the environment, .env.example)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin

from social.models import ProviderPolicy

for model in (SocialApp, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(ProviderPolicy)
class ProviderPolicyAdmin(admin.ModelAdmin):
    list_display = ("provider", "trusted_for_email")
    list_editable = ("trusted_for_email",)
