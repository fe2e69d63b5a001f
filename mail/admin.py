"""The outbox in the admin: read-only rows, never their bodies."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mail import outbox
from mail.app_settings import app_settings
from mail.models import OutgoingEmail
from project.admin import ReadOnlyAdmin, short_time

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse


class PurgeForm(forms.Form):
    days = forms.IntegerField(label=_("Older than (days)"), min_value=1, max_value=3650)


# Every column but the bodies, which hold live links; the next attempt only
# while there will be one.
SHOWN_FIELDS = (
    "to",
    "subject",
    "kind_label",
    "status",
    "attempts",
    "next_attempt",
    "last_error",
    "created_at",
    "sent_at",
    "idempotency_key",
)


def kind_labels() -> dict[str, str]:
    """What each kind is called, in the reader's language (MAIL_KINDS)."""
    if app_settings.KINDS is None:
        return {}
    return dict(import_string(app_settings.KINDS).choices)


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = OutgoingEmail.objects.order_by().values_list("kind", flat=True)
        kinds = kinds.distinct()
        labels = kind_labels()
        return sorted((kind, labels.get(kind, kind)) for kind in kinds)

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    """The outbox, read-only. Bodies hold live links: they are never shown."""

    list_display = [
        "to",
        "kind_label",
        "status",
        "attempts",
        "created",
        "next_attempt",
        "sent",
    ]
    list_filter = ["status", KindFilter]
    search_fields = ["to"]
    date_hierarchy = "created_at"
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    actions = ["retry_now", "purge_sent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutgoingEmail]:
        return super().get_queryset(request).defer("body_text", "body_html")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, email: OutgoingEmail) -> str:
        return kind_labels().get(email.kind, email.kind)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, email: OutgoingEmail) -> str:
        return short_time(email.created_at)

    @admin.display(description=_("next attempt at"), ordering="next_attempt_at")
    def next_attempt(self, email: OutgoingEmail) -> str:
        """A sent or failed row has no next attempt: its column keeps the
        time of the last one, which is not worth showing as a future."""
        if email.status in (OutgoingEmail.Status.PENDING, OutgoingEmail.Status.SENDING):
            return short_time(email.next_attempt_at)
        return short_time(None)

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent(self, email: OutgoingEmail) -> str:
        return short_time(email.sent_at)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return app_settings.RESENDER is not None and request.user.has_perm(
            "mail.change_outgoingemail"
        )

    def has_purge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.delete_outgoingemail")

    @admin.action(description=_("Retry failed emails now"), permissions=["retry"])
    def retry_now(
        self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]
    ) -> None:
        resend = import_string(app_settings.RESENDER or "")  # set: see permission
        failed = list(queryset.filter(status=OutgoingEmail.Status.FAILED))
        sent = sum(resend(request, email) for email in failed)
        self.message_user(
            request,
            ngettext(
                "Queued %(count)d fresh email.", "Queued %(count)d fresh emails.", sent
            )
            % {"count": sent},
            messages.SUCCESS,
        )
        if skipped := queryset.count() - sent:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d row: not failed, or nothing to send again.",
                    "Skipped %(count)d rows: not failed, or nothing to send again.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(
        description=_("Purge sent emails older than N days…"), permissions=["purge"]
    )
    def purge_sent(
        self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]
    ) -> HttpResponse | None:
        form = PurgeForm(
            request.POST if "apply" in request.POST else None,
            initial={"days": app_settings.RETENTION.days},
        )
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/mail/outgoingemail/purge.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Purge sent emails"),
                    "form": form,
                    "queryset": queryset,
                    "opts": self.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        days = form.cleaned_data["days"]
        deleted = outbox.purge_sent(timedelta(days=days), queryset)
        self.message_user(
            request,
            ngettext(
                "Deleted %(count)d sent email older than %(days)d days.",
                "Deleted %(count)d sent emails older than %(days)d days.",
                deleted,
            )
            % {"count": deleted, "days": days},
            messages.SUCCESS,
        )
        return None
