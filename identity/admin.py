"""Apps (OpenID Connect clients) in the admin, in place of allauth's pages.

allauth's show the hash of each client secret and of each token; here no
page shows either. A new app's secret is shown once, on the page after it is
saved, and "Make a new secret" replaces a lost one the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.idp.oidc.models import Client, Token
from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from identity import wording
from identity.secrets import new_secret
from project.admin import ReadOnlyAdmin

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

for model in (Client, Token):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = (
            "name",
            "type",
            "redirect_uris",
            "scopes",
            "default_scopes",
            "grant_types",
            "response_types",
            "cors_origins",
            "skip_consent",
        )
        labels = {"skip_consent": _("First-party (no consent page)")}
        help_texts = {
            "skip_consent": _(
                "An app of this service's own team: people are not asked to "
                "consent to what it reads."
            ),
            "redirect_uris": _(
                "Where the app may be sent back to, one per line, each matched "
                "exactly (scheme, host, port and path)."
            ),
        }

    def clean_grant_types(self) -> str:
        grant_types = self.cleaned_data["grant_types"]
        if Client.GrantType.DEVICE_CODE in grant_types.split():
            raise forms.ValidationError(
                _(
                    "This service does not offer device authorization: its "
                    "approval could be forged by another site, and its tokens "
                    "would outlive the session that approved them."
                )
            )
        return grant_types


def _show_once(request: HttpRequest, client: Client, secret: str) -> None:
    messages.warning(
        request,
        format_html(
            "{} <code>{}</code>",
            _("The secret of %(app)s is shown only now; keep it safe:")
            % {"app": client.name},
            secret,
        ),
    )


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ("name", "id", "type", "skip_consent", "created_at")
    list_filter = ("type", "skip_consent")
    search_fields = ("id", "name")
    readonly_fields = ("id", "created_at")
    actions = ("make_new_secret",)

    def get_fields(self, request: HttpRequest, obj: Client | None = None):
        fields = list(ClientForm.Meta.fields)
        return [*(("id", "created_at") if obj else ()), *fields]

    def save_model(self, request: HttpRequest, obj: Client, form, change) -> None:
        secret = None
        if not change and obj.type == Client.Type.CONFIDENTIAL:
            secret = new_secret(obj)
        super().save_model(request, obj, form, change)
        if secret:
            _show_once(request, obj, secret)

    @admin.action(description=_("Make a new secret (the old one stops working)"))
    def make_new_secret(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        for client in queryset.filter(type=Client.Type.CONFIDENTIAL):
            secret = new_secret(client)
            client.save(update_fields=["secret"])
            _show_once(request, client, secret)


class TokenTypeFilter(admin.SimpleListFilter):
    """allauth's choices, named through gettext (identity/wording.py)."""

    title = _("kind")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return list(wording.TOKEN_TYPES.items())

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(Token)
class TokenAdmin(ReadOnlyAdmin):
    """Issued tokens, for staff to see who holds what; never their hashes.
    Delete one to revoke it."""

    list_display = ("client", "kind", "user", "created_at", "expires_at")
    list_filter = (TokenTypeFilter,)
    fields = ("client", "kind", "user", "created_at", "expires_at", "scopes")
    readonly_fields = fields
    list_select_related = ("client", "user")
    search_fields = ("user__email", "client__name")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return bool(request.user.has_perm("allauth_idp_oidc.delete_token"))

    @admin.display(description=_("kind"), ordering="type")
    def kind(self, token: Token) -> str:
        return wording.type_name(token)
